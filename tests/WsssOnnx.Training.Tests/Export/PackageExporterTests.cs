using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.Evaluation;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using WsssOnnx.Training.Export;
using WsssOnnx.Training.Metrics;
using WsssOnnx.Training.Tests.Loop;
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
            if (p.Name.EndsWith("running_mean", StringComparison.Ordinal) || p.Name.EndsWith(".bias", StringComparison.Ordinal))
                for (int i = 0; i < t.Data.Length; i++) t.Data[i] = (float)(rng.NextDouble() - 0.5);
            return t;
        });
    }

    private static string Export(string root, string version, Dictionary<string, HostTensor<float>> weights, Func<ModelPackage, PackageMeasurement>? evaluate = null,
        AdvCamDefaults? advCam = null) =>
        PackageExporter.Export(root, "tiny", version, ["a", "b", "c"], new TrainedClassifier(Tiny, weights, 32), null,
            new Provenance { Dataset = "test", Commands = ["wsss-train test"] }, evaluate, advCam);

    [Fact]
    public void The_manifest_carries_the_classifier_runs_normalisation_and_ImageNets_without_one()
    {
        string root = Directory.CreateTempSubdirectory("wsss-pkg-").FullName;
        try
        {
            var weights = RandomWeights(Tiny);
            var trained = new InputNormalization([0.5f, 0.4f, 0.3f], [0.25f, 0.2f, 0.1f]);
            string custom = PackageExporter.Export(root, "tiny", "custom", ["a", "b", "c"], new TrainedClassifier(Tiny, weights, 32), null,
                new Provenance { Dataset = "test" }, normalization: trained);
            var manifest = ModelPackage.Open(custom).Manifest;
            Assert.Equal(trained.Mean, manifest.Normalization.Mean);
            Assert.Equal(trained.Std, manifest.Normalization.Std);

            var imageNet = ModelPackage.Open(Export(root, "imagenet", weights)).Manifest;
            Assert.Equal(InputNormalization.ImageNet.Mean, imageNet.Normalization.Mean);
            Assert.Equal(InputNormalization.ImageNet.Std, imageNet.Normalization.Std);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Exported_package_opens_verifies_and_its_folded_classifier_matches_the_frozen_network()
    {
        string root = Directory.CreateTempSubdirectory("wsss-pkg-").FullName;
        try
        {
            var weights = RandomWeights(Tiny);
            string dir = Export(root, "1", weights, _ => new PackageMeasurement(new Dictionary<string, double> { ["val_map"] = 0.5 }));
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
    public void An_acol_packages_class_maps_are_both_heads_maps_fused_and_its_manifest_says_acol()
    {
        string root = Directory.CreateTempSubdirectory("wsss-pkg-").FullName;
        try
        {
            var acol = Tiny with { Acol = new AcolOptions { Threshold = 0.5f } };
            var weights = RandomWeights(acol);
            string dir = PackageExporter.Export(root, "tiny", "acol", ["a", "b", "c"], new TrainedClassifier(acol, weights, 32), null, new Provenance { Dataset = "test" });
            var package = ModelPackage.Open(dir);
            Assert.Equal(ClassifierLocaliser.Acol, package.Manifest.Localiser.Kind);
            Assert.Equal(0.5f, package.Manifest.Localiser.AcolThreshold);
            Assert.Equal(ClassifierLocaliser.Cam, ModelPackage.Open(Export(root, "plain", RandomWeights(Tiny))).Manifest.Localiser.Kind);

            // Reference, step by step on the host: head A's maps and logits from the unfolded network, the erasing classes
            // (z > 0 or the top one), the union mask of their min-max normalised maps >= delta, head B on the erased features.
            var g = new GraphBuilder("reference");
            var net = CamClassifier.Build(g, g.Input("image", DataType.Float, [1, 3, -1, -1]), acol);
            g.Output(net.Features, "features");
            g.Output(net.ClassMaps, "maps_a");
            g.Output(net.Logits, "logits");
            g.SetParameters(weights);
            using var reference = ModelSession.Load(g.ToBytes(), "reference");
            var image = new RgbImage(64, 48);
            new Random(3).NextBytes(image.Pixels);
            using var input = SessionInput.Create("image", ImageTensor.FromRgb(image));
            using var a = reference.Run([input]);
            var f = a.ToHost<float>("features");
            var sA = a.ToHost<float>("maps_a");
            var z = a.Span<float>("logits").ToArray();
            int classes = 3, plane = (int)(sA.Shape[2] * sA.Shape[3]);
            static float[] Norm(float[] m) => [.. m.Select(v => (v - m.Min()) / Math.Max(m.Max() - m.Min(), AcolMaps.RangeFloor))];
            float[] MapA(int c) => sA.Data[(c * plane)..((c + 1) * plane)];
            var erase = new bool[plane];
            for (int c = 0; c < classes; c++)
            {
                if (!(z[c] > 0 || z[c] == z.Max())) continue;
                var n = Norm(MapA(c));
                for (int i = 0; i < plane; i++) erase[i] |= n[i] >= 0.5f;
            }
            Assert.Contains(true, erase);
            int channels = (int)f.Shape[1];
            for (int ch = 0; ch < channels; ch++)
                for (int i = 0; i < plane; i++)
                    if (erase[i]) f.Data[ch * plane + i] = 0f;

            var hb = new GraphBuilder("head_b");
            var features = hb.Input("features", DataType.Float, f.Shape);
            hb.Output(AcolHead.Create(hb, "classifier.b", channels, classes, new Random(0)).Apply(hb, features), "maps_b");
            hb.SetParameters(weights.Where(kv => kv.Key.StartsWith("classifier.b.", StringComparison.Ordinal)).ToDictionary());
            using var headB = ModelSession.Load(hb.ToBytes(), "head_b");
            using var erased = SessionInput.Create("features", f);
            using var b = headB.Run([erased]);
            var sB = b.ToHost<float>("maps_b");

            using var exported = ModelSession.Load(package.PathOf("classifier"));
            using var e = exported.Run([input], ["class_maps"]);
            var actual = e.Span<float>("class_maps").ToArray();
            for (int c = 0; c < classes; c++)
            {
                float r = Math.Max(0f, MapA(c).Max());
                var na = Norm(MapA(c));
                var nb = Norm(sB.Data[(c * plane)..((c + 1) * plane)]);
                for (int i = 0; i < plane; i++) Assert.Equal(r * Math.Max(na[i], nb[i]), actual[c * plane + i], 1e-3f * Math.Max(1f, r));
            }
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

    // Staged AdvCAM defaults: few steps and scales keep the sweep to seconds; a staged threshold off the grid tells which one shipped.
    private static readonly AdvCamDefaults QuickAdvCam = new() { Steps = 4, StepSize = 0.3f, Scales = [1.0f, 0.5f], BackgroundThreshold = 0.9f };

    [Fact]
    public void Export_ships_the_best_CAM_and_AdvCAM_thresholds_of_an_independent_sweep()
    {
        string root = Directory.CreateTempSubdirectory("wsss-pkg-").FullName;
        try
        {
            var validation = new ColourSquaresSource(count: 6, size: 96, seed: 3);
            var log = new StringWriter();
            string dir = Export(root, "1", RandomWeights(Tiny), staged => PackageEvaluation.Measure(staged, validation, thresholdImages: 3, log), QuickAdvCam);
            var package = ModelPackage.Open(dir);
            var shipped = package.Manifest.AdvCam;

            var cam = SweepMeanIoU(package, validation, images: 6, climb: false);
            var advCam = SweepMeanIoU(package, validation, images: 3, climb: true);
            Assert.True(cam.Values.Distinct().Count() > 1 && advCam.Values.Distinct().Count() > 1,
                "the sweeps must tell thresholds apart for this test to mean anything: " + string.Join(" ", cam.Values) + " / " + string.Join(" ", advCam.Values));
            Assert.NotNull(shipped.CamBackgroundThreshold);
            float camThreshold = shipped.CamBackgroundThreshold.Value;
            // The shipped thresholds are on the grid and score the sweep's maximum (1e-9: the same sums in another order).
            Assert.Equal(cam.Values.Max(), cam[camThreshold], 1e-9);
            Assert.Equal(advCam.Values.Max(), advCam[shipped.BackgroundThreshold], 1e-9);
            Assert.Equal(advCam.Values.Max(), package.Manifest.Metrics["advcam_seed_best_miou"], 1e-9);
            Assert.Equal(camThreshold, package.Manifest.Metrics["cam_seed_best_threshold"], 1e-6);
            Assert.Equal(shipped.BackgroundThreshold, package.Manifest.Metrics["advcam_seed_best_threshold"], 1e-6);
            Assert.Equal(3, package.Manifest.Metrics["advcam_seed_images"]);
            Assert.Equal((4, 0.3f), (shipped.Steps, shipped.StepSize)); // the staged AdvCAM defaults stay
            Assert.Contains("AdvCAM seeds: 3/3 images", log.ToString());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Zero_threshold_images_skip_AdvCAM_and_ship_the_CAM_threshold_for_both()
    {
        string root = Directory.CreateTempSubdirectory("wsss-pkg-").FullName;
        try
        {
            var log = new StringWriter();
            string dir = Export(root, "1", RandomWeights(Tiny), staged => PackageEvaluation.Measure(staged, new ColourSquaresSource(4, 32, 5), thresholdImages: 0, log), QuickAdvCam);
            var manifest = ModelPackage.Open(dir).Manifest;
            Assert.Contains((float)manifest.Metrics["cam_seed_best_threshold"], SeedThresholdGrid.Default);
            Assert.Equal(manifest.Metrics["cam_seed_best_threshold"], manifest.AdvCam.CamBackgroundThreshold!.Value, 1e-6);
            Assert.Equal(manifest.AdvCam.CamBackgroundThreshold, manifest.AdvCam.BackgroundThreshold);
            Assert.DoesNotContain("advcam_seed_best_threshold", manifest.Metrics.Keys);
            Assert.Contains("AdvCAM seeds not measured (0 threshold images)", log.ToString());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Seed mIoU at every threshold 0.05, 0.10, ..., 0.50 of the package's CAM or AdvCAM maps of the first images, computed here from the maps.</summary>
    private static Dictionary<float, double> SweepMeanIoU(ModelPackage package, ColourSquaresSource source, int images, bool climb)
    {
        var d = package.Manifest.AdvCam;
        var options = new AdvCamOptions { Steps = climb ? d.Steps : 1, StepSize = d.StepSize, MaskWeight = d.MaskWeight, MaskThreshold = d.MaskThreshold, Scales = d.Scales };
        using var classifier = ModelSession.Load(package.PathOf("classifier"));
        using var climber = climb ? ModelSession.Load(package.PathOf("climber")) : null;
        var maps = new AdvCamClimber(classifier, climber, ImageNormalization.ImageNet);
        // 0.05, 0.10, ..., 0.95: export's grid without its low values, which these random weights' broad maps never pick.
        var matrices = Enumerable.Range(1, 19).ToDictionary(i => (float)Math.Round(i * 0.05, 2), _ => new ConfusionMatrix(source.Classes.Count + 1));
        for (int i = 0; i < images; i++)
        {
            var sample = source.Load(i, withMask: true);
            var present = Enumerable.Range(0, source.Classes.Count).Where(c => sample.Labels[c] == 1f).ToArray();
            var climbed = maps.Climb(sample.Image, present, options);
            foreach (var (threshold, matrix) in matrices) matrix.Accumulate(Seeds.FromMaps(climbed, threshold), sample.Mask!);
        }
        return matrices.ToDictionary(kv => kv.Key, kv => kv.Value.MeanIntersectionOverUnion);
    }
}
