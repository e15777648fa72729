using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Onnx;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using WsssOnnx.Training.Pretrained;
using Xunit.Abstractions;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Training.Tests.Pretrained;

/// <summary>
/// The imported ImageNet ResNet-18 against the original CNTK export, on real photos (Debian's darknet package, extracted
/// by scripts/setup.sh into .deps/photos): the export is fed its own preprocessing (RGB to BGR, 0-255, minus the mean
/// image, run as the package's preprocessing model), ours ImageNet-normalised RGB.
/// </summary>
public sealed class ImageNetBackboneTests(ITestOutputHelper output, ImageNetBackboneTests.Imported imported) : IClassFixture<ImageNetBackboneTests.Imported>
{
    private const int Size = 224; // the export's fixed input size

    public sealed class Imported : IDisposable
    {
        public Imported()
        {
            Folder = Directory.CreateTempSubdirectory("wsss-imagenet-").FullName;
            Path = System.IO.Path.Combine(Folder, ImageNetBackbone.ConvertedFile);
            Backbone = ImageNetBackbone.Import(ImageNetBackbone.SourceFolder, Path, ImageNormalization.ImageNet);
        }

        public string Folder { get; }

        public string Path { get; }

        public ImportedBackbone Backbone { get; }

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }

    private readonly Imported _imported = imported;

    /// <summary>.deps/photos of the repository the tests run from.</summary>
    internal static string PhotoFolder
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "WsssOnnx.sln"))) dir = dir.Parent;
            return System.IO.Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("repository root"), ".deps", "photos");
        }
    }

    public static TheoryData<string> Photos => new(["dog", "eagle", "giraffe", "horses", "person", "scream"]);

    /// <summary>A photo of .deps/photos resized (bilinear) to <paramref name="size"/> x <paramref name="size"/>.</summary>
    internal static RgbImage Photo(string name, int size = Size) =>
        ImageResize.Resize(new ImageDecoder().DecodeRgb(File.ReadAllBytes(System.IO.Path.Combine(PhotoFolder, name + ".jpg"))), size, size, Interpolation.Bilinear);

    /// <summary>
    /// The export's pooled features. With <paramref name="meanImage"/> its own preprocessing model runs (RGB to BGR, minus
    /// the 224x224 mean image); otherwise the test subtracts that image's per-channel average, the part of it a per-channel
    /// normalisation (ours, torchvision's) can express.
    /// </summary>
    private static float[] Original(RgbImage photo, bool meanImage = false)
    {
        using var network = ModelSession.Load(System.IO.Path.Combine(ImageNetBackbone.SourceFolder, ImageNetBackbone.NetworkFile));
        // x / 255 normalised by mean 0, std 1/255 is the 0-255 pixel itself.
        var raw = ImageTensor.FromRgb(photo, new ImageNormalization { Mean = (0, 0, 0), Std = (1 / 255f, 1 / 255f, 1 / 255f) });
        var bgr = new HostTensor<float>(new float[raw.Data.Length], 1, 3, Size, Size);
        if (meanImage)
        {
            using var preprocess = ModelSession.Load(System.IO.Path.Combine(ImageNetBackbone.SourceFolder, ImageNetBackbone.PreprocessingFile));
            using var rawInput = SessionInput.Create(preprocess.Inputs[0].Name, raw);
            using var prepared = preprocess.Run([rawInput]);
            prepared.Span<float>(preprocess.Outputs[0].Name).CopyTo(bgr.Data);
        }
        else
        {
            var mean = ModelFile.FloatInitializers(ModelFile.Read(System.IO.Path.Combine(ImageNetBackbone.SourceFolder, ImageNetBackbone.PreprocessingFile))).Values.Single();
            const int plane = Size * Size;
            for (int k = 0; k < 3; k++)
            {
                double m = mean.Data.AsSpan(k * plane, plane).ToArray().Average(v => (double)v);
                for (int i = 0; i < plane; i++) bgr.Data[k * plane + i] = (float)(raw.Data[(2 - k) * plane + i] - m);
            }
        }
        using var input = SessionInput.Create(network.Inputs[0].Name, bgr);
        using var result = network.Run([input]);
        return result.Span<float>(network.Outputs[0].Name).ToArray();
    }

    private float[] Ours(RgbImage photo, ImageNormalization? normalization = null)
    {
        using var session = ModelSession.Load(_imported.Path);
        using var input = SessionInput.Create("image", ImageTensor.FromRgb(photo, normalization ?? ImageNormalization.ImageNet));
        using var result = session.Run([input], ["pooled"]);
        return result.Span<float>("pooled").ToArray();
    }

    private static double Cosine(float[] a, float[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += a[i] * (double)b[i]; aa += a[i] * (double)a[i]; bb += b[i] * (double)b[i]; }
        return ab / Math.Sqrt(aa * bb);
    }

    [Theory]
    [MemberData(nameof(Photos))]
    public void Imported_network_gives_the_exports_pooled_features_on_real_photos(string name)
    {
        var photo = Photo(name);
        var expected = Original(photo);
        var actual = Ours(photo);
        Assert.Equal(512, expected.Length);
        Assert.Equal(512, actual.Length);
        double cosine = Cosine(expected, actual);
        double maxRelative = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) / expected.Max(Math.Abs);
        // The export's own mean image varies over the picture (per-channel spread 3-6 grey levels); against it the
        // per-channel fold is an approximation, reported and bounded more loosely.
        var withMeanImage = Original(photo, meanImage: true);
        double cosineMeanImage = Cosine(withMeanImage, actual);
        double maxRelativeMeanImage = withMeanImage.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) / withMeanImage.Max(Math.Abs);
        output.WriteLine($"{name}: cosine {cosine:F7}, max |error| / max |feature| {maxRelative:E2}; " +
            $"against the mean image: cosine {cosineMeanImage:F5}, max relative error {maxRelativeMeanImage:E2}");
        Assert.True(cosine >= 0.9999, $"{name}: cosine {cosine}");
        Assert.True(maxRelative < 1e-2, $"{name}: max relative error {maxRelative}");
        Assert.True(cosineMeanImage >= 0.995, $"{name}: cosine against the mean image {cosineMeanImage}");
        // The features differ between photos, so agreement is not an artefact of a constant output.
        if (name != "dog") Assert.True(Cosine(Original(Photo("dog")), actual) < 0.95);
    }

    [Fact]
    public void Channel_order_matters_so_the_fold_is_tested()
    {
        // Our network fed BGR instead of RGB must disagree with the export clearly.
        var photo = Photo("person");
        var swapped = new RgbImage(photo.Width, photo.Height, SwapRedBlue(photo.Pixels));
        double cosine = Cosine(Original(photo), Ours(swapped));
        output.WriteLine($"person with red and blue swapped: cosine {cosine:F4}");
        Assert.True(cosine < 0.995, $"cosine {cosine}");
    }

    private static byte[] SwapRedBlue(ReadOnlySpan<byte> rgb)
    {
        var swapped = rgb.ToArray();
        for (int i = 0; i < swapped.Length; i += 3) (swapped[i], swapped[i + 2]) = (swapped[i + 2], swapped[i]);
        return swapped;
    }

    [Fact]
    public void Every_weight_is_mapped_to_a_torchvision_name_with_layer4_of_three_blocks()
    {
        var b = _imported.Backbone;
        Assert.Equal([2, 2, 2, 3], b.Blocks);
        Assert.Equal(64, b.Width);
        Assert.Equal(110, b.Weights.Count); // 22 convolutions + 22 batch norms x 4
        var g = new GraphBuilder("check");
        ResNet.Build(g, g.Input("image", DataType.Float, [1, 3, -1, -1]), b.Options);
        Assert.Equal(g.Parameters.Select(p => p.Name).Order(), b.Weights.Keys.Order());
        foreach (var p in g.Parameters) Assert.Equal(p.Value.Shape, b.Weights[p.Name].Shape);
        Assert.Contains("BGR order", b.Folded, StringComparison.Ordinal);
        // The written file is what --init-from reads: the same names.
        Assert.Equal(b.Weights.Keys.Order(), ModelFile.FloatInitializers(ModelFile.Read(_imported.Path)).Keys.Order());
    }

    [Fact]
    public void A_weight_the_walk_does_not_reach_is_refused()
    {
        var network = ModelFile.Read(System.IO.Path.Combine(ImageNetBackbone.SourceFolder, ImageNetBackbone.NetworkFile));
        var preprocessing = ModelFile.Read(System.IO.Path.Combine(ImageNetBackbone.SourceFolder, ImageNetBackbone.PreprocessingFile));
        network.Graph.Initializer.Add(new TensorProto { Name = "stray", DataType = (int)DataType.Float, Dims = { 1 }, FloatData = { 1f } });
        var e = Assert.Throws<InvalidDataException>(() => CntkResNetImporter.Import(network, preprocessing, ImageNormalization.ImageNet));
        Assert.Contains("'stray'", e.Message, StringComparison.Ordinal);

        var cut = ModelFile.Read(System.IO.Path.Combine(ImageNetBackbone.SourceFolder, ImageNetBackbone.NetworkFile));
        var relu = cut.Graph.Node.First(n => n.OpType == "Relu");
        cut.Graph.Node.Remove(relu);
        Assert.Throws<InvalidDataException>(() => CntkResNetImporter.Import(cut, preprocessing, ImageNormalization.ImageNet));
    }

    [Fact]
    public void A_file_other_than_the_pinned_one_is_refused()
    {
        string folder = Directory.CreateTempSubdirectory("wsss-imagenet-bad-").FullName;
        try
        {
            foreach (var f in new[] { ImageNetBackbone.NetworkFile, ImageNetBackbone.PreprocessingFile })
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.Combine(folder, f))!);
                File.Copy(System.IO.Path.Combine(ImageNetBackbone.SourceFolder, f), System.IO.Path.Combine(folder, f));
            }
            using (var s = File.OpenWrite(System.IO.Path.Combine(folder, ImageNetBackbone.NetworkFile))) s.WriteByte(0);
            var e = Assert.Throws<InvalidDataException>(() => ImageNetBackbone.Import(folder, System.IO.Path.Combine(folder, "out.onnx"), ImageNormalization.ImageNet));
            Assert.Contains("sha256", e.Message, StringComparison.Ordinal);
            File.Delete(System.IO.Path.Combine(folder, ImageNetBackbone.PreprocessingFile));
            Assert.Throws<FileNotFoundException>(() => ImageNetBackbone.Import(folder + "/missing", System.IO.Path.Combine(folder, "out.onnx"), ImageNormalization.ImageNet));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
