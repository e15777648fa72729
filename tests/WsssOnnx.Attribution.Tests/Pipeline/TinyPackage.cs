using System.Text.Json.Nodes;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using WsssOnnx.Training.Export;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Attribution.Tests.Pipeline;

/// <summary>
/// A model package folder exported by the trainer from a randomly initialised CAM classifier (ResNet-18 of width 4,
/// four classes; classifier and climber, no segmenter or boundary network), and variants of it with an edited manifest.
/// </summary>
public sealed class TinyPackage : IDisposable
{
    public const int Classes = 4;

    public TinyPackage()
    {
        Root = System.IO.Directory.CreateTempSubdirectory("wsss-pipeline-").FullName;
        var network = new CamClassifierOptions
        {
            Classes = Classes,
            Seed = 11,
            Backbone = new ResNetOptions { Depth = 18, Width = 4, Seed = 11, BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Folded } },
        };
        var g = new GraphBuilder("weights");
        CamClassifier.Build(g, g.Input("image", DataType.Float, [-1, 3, -1, -1]), network);
        var weights = g.Parameters.ToDictionary(p => p.Name, p => g.ParameterValue(p.Name));
        Directory = PackageExporter.Export(Root, "tiny", "1", [.. Enumerable.Range(0, Classes).Select(c => $"class{c}")],
            new TrainedClassifier(network, weights, 64), segmenter: null, new Provenance { Dataset = "random weights" });
    }

    public string Root { get; }

    /// <summary>The exported package's folder.</summary>
    public string Directory { get; }

    /// <summary>A copy of the package under <paramref name="version"/> whose manifest <paramref name="change"/> edits (the ONNX files, and so their hashes, stay).</summary>
    public string Variant(string version, Action<JsonNode> change)
    {
        string target = Path.Combine(Root, "tiny", version);
        System.IO.Directory.CreateDirectory(target);
        foreach (string file in System.IO.Directory.GetFiles(Directory)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        string path = Path.Combine(target, "manifest.json");
        var manifest = JsonNode.Parse(File.ReadAllText(path))!;
        manifest["version"] = version;
        change(manifest);
        File.WriteAllText(path, manifest.ToJsonString());
        return target;
    }

    public void Dispose() => System.IO.Directory.Delete(Root, recursive: true);
}
