using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using WsssOnnx.Training.Export;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Attribution.Tests.Climbing;

/// <summary>
/// A model package exported by the trainer from a randomly initialised CAM classifier (ResNet-18 of the given width,
/// stride 16), loaded as the climber and the plain-CAM generator use it. Built once per width and shared by the tests.
/// </summary>
public sealed class ClimbingModel
{
    public const int Classes = 4;

    private static readonly Lazy<ClimbingModel> TinyModel = new(() => Build(width: 4, seed: 7));

    private ClimbingModel(ModelPackage package, ModelSession classifier, ModelSession climber)
    {
        Package = package;
        Classifier = classifier;
        ClimberSession = climber;
        var n = package.Manifest.Normalization;
        Normalization = new ImageNormalization { Mean = (n.Mean[0], n.Mean[1], n.Mean[2]), Std = (n.Std[0], n.Std[1], n.Std[2]) };
        Climber = new AdvCamClimber(classifier, climber, Normalization);
        Cam = new ReferenceCam(classifier, Normalization);
    }

    /// <summary>ResNet-18 of width 4, 4 classes: milliseconds per step on small images.</summary>
    public static ClimbingModel Tiny => TinyModel.Value;

    public ModelPackage Package { get; }

    public ModelSession Classifier { get; }

    public ModelSession ClimberSession { get; }

    public ImageNormalization Normalization { get; }

    public AdvCamClimber Climber { get; }

    public ReferenceCam Cam { get; }

    /// <summary>Exports a package with He-initialised weights (batch norm folded, as the exporter always does) and loads it.</summary>
    public static ClimbingModel Build(int width, int seed)
    {
        var network = new CamClassifierOptions
        {
            Classes = Classes,
            Seed = seed,
            Backbone = new ResNetOptions { Depth = 18, Width = width, Seed = seed, BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Folded } },
        };
        var g = new GraphBuilder("weights");
        CamClassifier.Build(g, g.Input("image", DataType.Float, [-1, 3, -1, -1]), network);
        var weights = g.Parameters.ToDictionary(p => p.Name, p => g.ParameterValue(p.Name));

        string root = Path.Combine(Path.GetTempPath(), $"wsss-climbing-{Environment.ProcessId}-{Guid.NewGuid():N}");
        string directory = PackageExporter.Export(root, "climbing", "1", [.. Enumerable.Range(0, Classes).Select(c => $"class{c}")],
            new TrainedClassifier(network, weights, 64), segmenter: null, new Provenance { Dataset = "random weights" });
        var package = ModelPackage.Open(directory);
        var config = new SessionConfig { WarmUp = false };
        var classifier = ModelSession.Load(package.PathOf(PackageRoles.Classifier), config);
        var climber = ModelSession.Load(package.PathOf(PackageRoles.Climber), config);
        Directory.Delete(root, recursive: true);   // the sessions and the manifest are in memory now
        return new ClimbingModel(package, classifier, climber);
    }

    /// <summary>A smooth random image: seeded 6x6 colour noise, enlarged bicubically, so the CAMs have structure.</summary>
    public static RgbImage SmoothImage(int seed, int width, int height)
    {
        var coarse = new RgbImage(6, 6);
        new Random(seed).NextBytes(coarse.Pixels);
        return ImageResize.Resize(coarse, width, height, Interpolation.Bicubic);
    }
}
