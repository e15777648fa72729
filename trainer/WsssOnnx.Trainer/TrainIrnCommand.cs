using System.CommandLine;
using System.Text.RegularExpressions;
using Spectre.Console;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Trainer;

/// <summary>
/// `wsss-train train-irn`: IRN's class-boundary network on confident labels (`wsss relabel --mode confident`), on the
/// frozen backbone of a package's classifier (--package) or of ImageNet (--pretrained imagenet, as IRN does).
/// </summary>
internal static partial class TrainIrnCommand
{
    public static Command Create()
    {
        var defaults = new IrnTrainingOptions();
        var o = new TrainingRunOptions(
            IrnTrainingOptions.DefaultSgd,
            validationPurpose: "nothing (IRN has no validation step)");
        var labels = new Option<DirectoryInfo>("--labels") { Description = "Folder of <id>.png confident label maps (0 background, k class, 255 unsure)", Required = true };
        var package = new Option<DirectoryInfo?>("--package") { Description = "A model package whose classifier backbone (frozen) the boundary branch is trained on" };
        var radius = new Option<int>("--radius") { Description = "Pixel pairs within this radius on the stride-4 grid are labelled (IRN: 10)", DefaultValueFactory = _ => defaults.Radius };
        var command = new Command("train-irn", "Train IRN's boundary network (frozen backbone, affinity loss on confident labels) for random-walk labels") { labels, package, radius };
        o.AddTo(command);
        o.TrainableStages.Hidden = true;   // accepted only to be refused with a sentence (Backbone), so not offered in --help
        command.SetAction(r =>
        {
            int cropSize = o.ValueOr(r, o.Crop, defaults.Augmentation.CropSize);
            var (weights, init, backbone, normalization) = Backbone(r, o, r.GetValue(package));
            var options = UsageException.Validated(new IrnTrainingOptions
            {
                Network = new BoundaryNetworkOptions { Backbone = backbone, Seed = r.GetValue(o.Seed) },
                Augmentation = defaults.Augmentation with { CropSize = cropSize, LongSide = TrainingRunOptions.LongSide(cropSize), Normalization = normalization },
                Sgd = o.Sgd(r),
                Radius = r.GetValue(radius),
            }.Validate);
            var trainSet = o.TrainingSet(r);
            string runDir = r.GetValue(o.Run)!.FullName;
            var source = new VocTrainingSource(trainSet, r.GetValue(labels)!.FullName, cacheImages: true);
            o.StartRun(r, runDir, new RunConfig
            {
                Kind = "irn",
                Dataset = trainSet.ListPath,
                Classes = trainSet.Classes.Foreground,
                Boundary = options.Network,
                AffinityRadius = options.Radius,
                CropSize = cropSize,
                Epochs = options.Sgd.Epochs,
                BatchSize = options.Sgd.BatchSize,
                LearningRate = options.Sgd.LearningRate,
                Seed = options.Sgd.Seed,
                Init = init,
                Normalization = normalization.ToManifest(),
                Command = "wsss-train " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            });
            AnsiConsole.MarkupLine(Markup.Escape($"training the boundary network on {trainSet.Samples.Count} images with confident labels from {r.GetValue(labels)!.FullName}; run folder {runDir}"));
            var result = ConsoleProgress.Run("irn", progress => new IrnTrainer(options, source, runDir) { Progress = progress, BackboneWeights = weights }.Train());
            TrainClassifierCommand.ReportProblems(result.Problems);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The frozen backbone: a package's classifier (its shape from the manifest and weights; its input normalisation the
    /// manifest's, which the boundary network is then fed with), or --pretrained / --init-from (ImageNet's normalisation).
    /// </summary>
    private static (IReadOnlyDictionary<string, HostTensor<float>> Weights, string Init, ResNetOptions Options, ImageNormalization Normalization) Backbone(
        ParseResult r, TrainingRunOptions o, DirectoryInfo? package)
    {
        var frozen = new BatchNormOptions { Mode = BatchNormMode.Frozen, TrainAffine = false };
        if (r.GetValue(o.TrainableStages) is not null)
            throw new UsageException("train-irn keeps the backbone frozen (IRN trains the boundary branch only): leave out --trainable-stages.");
        if (package is not null)
        {
            if (o.IsPretrained(r) || r.GetValue(o.InitFrom) is not null)
                throw new UsageException("--package, --pretrained and --init-from each choose the backbone: give one.");
            var opened = ModelPackage.Open(package.FullName);
            var weights = ModelFile.FloatInitializers(ModelFile.Read(opened.PathOf(PackageRoles.Classifier)));
            var networks = opened.Manifest.Networks;
            return (weights, $"package: {package.FullName} ({PackageRoles.Classifier})", new ResNetOptions
            {
                Depth = networks.Depth,
                Width = networks.Width,
                Layer4Blocks = weights.Keys
                    .Select(k => Layer4Block().Match(k))
                    .Where(m => m.Success)
                    .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1,
                Layout = ResNetLayout.OutputStride16,
                TrainableStages = ResNetStages.None,
                BatchNorm = frozen,
            }, ManifestAttribution.Normalization(opened.Manifest));
        }
        var (initial, init) = o.InitialWeights(r, message => AnsiConsole.MarkupLine(Markup.Escape(message)));
        if (initial is null) throw new UsageException("the boundary network trains on a frozen backbone: give --package, --pretrained imagenet or --init-from.");
        var options = o.Backbone(r, ResNetLayout.OutputStride16, (ResNetStages.None, TrainAffine: false));
        return (initial, init, options with { TrainableStages = ResNetStages.None, BatchNorm = frozen }, ImageNormalization.ImageNet);
    }

    [GeneratedRegex(@"^layer4\.(\d+)\.")]
    private static partial Regex Layer4Block();
}
