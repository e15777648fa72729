using System.Reflection;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Onnx;
using WsssOnnx.Packages;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Training.Pretrained;

/// <summary>
/// The ImageNet ResNet-18 this project can reach: ML.NET's featurizer package (NuGet
/// Microsoft.ML.DnnImageFeaturizer.ResNet18, MIT), restored by the build into the NuGet package folder. Its files are
/// pinned by sha256 here; <see cref="Import"/> converts them into our network (<see cref="CntkResNetImporter"/>) and
/// <see cref="EnsureCached"/> keeps the result under .deps/pretrained so training imports it once.
/// </summary>
public static class ImageNetBackbone
{
    /// <summary>The value of <c>--pretrained</c> that selects these weights.</summary>
    public const string Name = "imagenet";

    public const string NetworkFile = "ResNet18Onnx/ResNet18.onnx";
    public const string PreprocessingFile = "ResNetPrepOnnx/ResNetPreprocess.onnx";
    public const string NetworkSha256 = "e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f";
    public const string PreprocessingSha256 = "84bf8def78d0befaa3f6e73745d57d7016c6a192ead76f79686bd438c1047004";

    /// <summary>File name of the converted network in the cache and the default of import-backbone's --out.</summary>
    public const string ConvertedFile = "resnet18-imagenet.onnx";

    /// <summary>The package's model folder (tools/DnnImageModels) as the build restored it.</summary>
    public static string SourceFolder { get; } = Metadata("WsssOnnx.PretrainedResNet18Folder");

    /// <summary>.deps/pretrained/ in the repository this was built from.</summary>
    public static string CacheFolder { get; } = Path.Combine(Metadata("WsssOnnx.DepsFolder"), "pretrained");

    public static string CachedPath => Path.Combine(CacheFolder, ConvertedFile);

    /// <summary>The converted network in the cache, importing it first when missing.</summary>
    public static string EnsureCached(Action<string>? log = null)
    {
        if (File.Exists(CachedPath)) return CachedPath;
        log?.Invoke($"importing the ImageNet ResNet-18 from {SourceFolder} into {CachedPath} (once)");
        Import(SourceFolder, CachedPath, ImageNormalization.ImageNet);
        return CachedPath;
    }

    /// <summary>
    /// Reads the package's network and preprocessing from <paramref name="sourceFolder"/> (hashes checked), converts them and
    /// writes our ResNet with those weights to <paramref name="output"/>: input "image" [N, 3, H, W] normalised RGB,
    /// outputs "features" (layer4, stride 32) and "pooled" [N, 512]. The file doubles as <c>--init-from</c> weights.
    /// </summary>
    public static ImportedBackbone Import(string sourceFolder, string output, ImageNormalization normalization)
    {
        string network = Verified(Path.Combine(sourceFolder, NetworkFile), NetworkSha256);
        string preprocessing = Verified(Path.Combine(sourceFolder, PreprocessingFile), PreprocessingSha256);
        var imported = CntkResNetImporter.Import(ModelFile.Read(network), ModelFile.Read(preprocessing), normalization);
        var g = new GraphBuilder("resnet_imagenet");
        var image = g.Input("image", DataType.Float, [-1, 3, -1, -1], ["batch", null, "height", "width"]);
        var net = ResNet.Build(g, image, imported.Options);
        g.SetParameters(imported.Weights);
        g.Output(net.Features, "features");
        g.Output(g.Flatten(g.GlobalAveragePool(net.Features), 1), "pooled");
        var metadata = new Dictionary<string, string>
        {
            ["source"] = $"NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18, {NetworkFile} (sha256 {NetworkSha256})",
            ["license"] = "MIT",
            ["blocks"] = string.Join(",", imported.Blocks),
            ["preprocessing"] = imported.Folded,
        };
        ModelFile.Write(g.ToModel("wsss-train import-backbone", metadata), output);
        return imported;
    }

    private static string Verified(string path, string sha256)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing: the ImageNet weights come with the build's restore (dotnet build, or scripts/setup.sh) " +
                "of NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18", path);
        string actual = ModelPackage.Sha256(path);
        if (actual != sha256) throw new InvalidDataException($"{path} has sha256 {actual}; the pinned file has {sha256}");
        return path;
    }

    private static string Metadata(string key) =>
        typeof(ImageNetBackbone).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"the build did not record {key}");
}
