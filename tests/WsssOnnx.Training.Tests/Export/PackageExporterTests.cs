using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Runtime;
using WsssOnnx.Runtime.Packages;
using WsssOnnx.Training.Export;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Training.Tests.Export;

public sealed class PackageExporterTests
{
    private static readonly CamClassifierOptions Tiny = new()
    {
        Classes = 3,
        Backbone = new ResNetOptions { Depth = 18, Width = 4, Seed = 2, TrainableStages = ResNetStages.All },
    };

    private static Dictionary<string, HostTensor<float>> RandomWeights(CamClassifierOptions network)
    {
        var g = new GraphBuilder("weights");
        CamClassifier.Build(g, g.Input("image", DataType.Float, [1, 3, -1, -1]), network);
        var rng = new Random(4);
        return g.Parameters.ToDictionary(p => p.Name, p =>
        {
            var t = g.ParameterValue(p.Name);
            // Non-trivial batch-norm statistics so that folding is exercised.
            if (p.Name.EndsWith("running_var", StringComparison.Ordinal)) for (int i = 0; i < t.Data.Length; i++) t.Data[i] = 0.5f + (float)rng.NextDouble();
            if (p.Name.EndsWith("running_mean", StringComparison.Ordinal) || p.Name.EndsWith(".bias", StringComparison.Ordinal)) for (int i = 0; i < t.Data.Length; i++) t.Data[i] = (float)(rng.NextDouble() - 0.5);
            return t;
        });
    }

    private static string Export(string root, string version, Dictionary<string, HostTensor<float>> weights, Func<string, IReadOnlyDictionary<string, double>>? evaluate = null) =>
        PackageExporter.Export(root, "tiny", version, ["a", "b", "c"], new TrainedClassifier(Tiny, weights, 32), null,
            new Provenance { Dataset = "test", Commands = ["wsss-train test"] }, evaluate);

    [Fact]
    public void Exported_package_opens_verifies_and_its_folded_classifier_matches_the_frozen_network()
    {
        string root = Directory.CreateTempSubdirectory("wsss-pkg-").FullName;
        try
        {
            var weights = RandomWeights(Tiny);
            string dir = Export(root, "1", weights, _ => new Dictionary<string, double> { ["val_map"] = 0.5 });
            var package = ModelPackage.Open(dir);
            Assert.Equal(["background", "a", "b", "c"], package.Manifest.Classes);
            Assert.Equal(0.5, package.Manifest.Metrics["val_map"]);
            Assert.True(package.Has("classifier") && package.Has("climber"));
            Assert.Equal(["wsss-train test"], package.Manifest.Provenance.Commands);

            // Reference: the same weights in the unfolded (frozen batch norm) network.
            var g = new GraphBuilder("reference");
            var net = CamClassifier.Build(g, g.Input("image", DataType.Float, [1, 3, -1, -1]), Tiny);
            g.Output(net.ClassMaps, "class_maps");
            g.SetParameters(weights);
            using var reference = ModelSession.Load(g.ToBytes(), "reference");
            using var exported = ModelSession.Load(package.PathOf("classifier"));
            var image = new RgbImage(40, 32);
            new Random(1).NextBytes(image.Pixels);
            using var input = SessionInput.Create("image", ImageTensor.FromRgb(image));
            using var a = reference.Run([input]);
            using var b = exported.Run([input], ["class_maps"]);
            var expected = a.Span<float>("class_maps").ToArray();
            var actual = b.Span<float>("class_maps").ToArray();
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-3f * Math.Max(1f, Math.Abs(expected[i])));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Versions_are_immutable_and_tampering_is_detected()
    {
        string root = Directory.CreateTempSubdirectory("wsss-pkg-").FullName;
        try
        {
            var weights = RandomWeights(Tiny);
            string dir = Export(root, "1", weights);
            Assert.Throws<IOException>(() => Export(root, "1", weights));

            File.AppendAllText(Path.Combine(dir, "climber.onnx"), "x");
            var error = Assert.Throws<InvalidDataException>(() => ModelPackage.Open(dir));
            Assert.Contains("does not match its sha256", error.Message);

            File.Delete(Path.Combine(dir, "climber.onnx"));
            error = Assert.Throws<InvalidDataException>(() => ModelPackage.Open(dir));
            Assert.Contains("climber file climber.onnx is missing", error.Message);

            Assert.Throws<InvalidDataException>(() => ModelPackage.Open(root));
            Assert.Throws<ArgumentException>(() => Export(root, "../escape", weights));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Missing_weights_are_named()
    {
        string root = Directory.CreateTempSubdirectory("wsss-pkg-").FullName;
        try
        {
            var weights = RandomWeights(Tiny);
            weights.Remove("layer1.0.conv1.weight");
            var error = Assert.Throws<InvalidDataException>(() => Export(root, "1", weights));
            Assert.Contains("layer1.0.conv1.weight", error.Message);
            Assert.False(Directory.Exists(Path.Combine(root, "tiny", "1")));
            Assert.False(Directory.Exists(Path.Combine(root, "tiny", "1.partial")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
