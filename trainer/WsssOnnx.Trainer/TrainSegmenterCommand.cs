using System.CommandLine;
using Spectre.Console;
using WsssOnnx.Datasets;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Training.Data;
using WsssOnnx.Training.Loop;
using WsssOnnx.Training.Seeding;

namespace WsssOnnx.Trainer;

/// <summary>`wsss-train train-segmenter`: the DeepLab-style segmenter on pseudo-label PNGs, validated by mIoU against ground truth.</summary>
internal static class TrainSegmenterCommand
{
    public static Command Create()
    {
        var o = new TrainingRunOptions(
            SegmenterTrainingOptions.DefaultSgd,
            validationPurpose: "mIoU against ground-truth masks");
        var labels = new Option<DirectoryInfo>("--labels") { Description = "Folder of <id>.png pseudo-label maps (255 = ignore)", Required = true };
        var head = new Option<string>("--head")
        {
            Description = "Segmenter head: deeplab-v2 (ASPP-L, rates 6/12/18/24, summed) or deeplab-v3 (1x1 + rates 6/12/18 + image pooling, batch norm, fused)",
            DefaultValueFactory = _ => DeepLabV2,
        }.AcceptOnlyFromAmong(DeepLabV2, DeepLabV3);
        var pixelLabels = new Option<string?>("--pixel-labels")
        {
            Description = $"Semi-supervised: the images of this split (a subset of the training list) train on their ground-truth masks, the rest on --labels: {VocLayout.SplitHelp}",
        };
        var command = new Command("train-segmenter", "Train the segmenter (dilated ResNet + ASPP, pixel cross-entropy ignoring 255) on pseudo-labels") { labels, head, pixelLabels };
        o.AddTo(command);
        var loss = new SeedLossCommandOptions();
        loss.AddTo(command);
        var adversarialOptions = new AdversarialCommandOptions();
        adversarialOptions.AddTo(command);
        command.SetAction(r =>
        {
            int cropSize = r.GetValue(o.Crop);
            var deepLabHead = HeadOf(r.GetValue(head)!);
            UsageException.Check(deepLabHead != DeepLabHead.DeepLabV3 || r.GetValue(o.Batch) >= 2,
                $"--head {DeepLabV3} needs --batch 2 or more: its image-pooling branch normalises one value per image over the batch; got --batch {r.GetValue(o.Batch)}.");
            var options = UsageException.Validated(new SegmenterTrainingOptions
            {
                Network = new DeepLabOptions
                {
                    // DeepLab-v2 on an ImageNet backbone: every convolution trained, batch norm frozen (statistics and affine).
                    Backbone = o.Backbone(r, ResNetLayout.DilatedOutputStride8, (ResNetStages.All, TrainAffine: false)),
                    Seed = r.GetValue(o.Seed),
                    Head = deepLabHead,
                    AtrousRates = deepLabHead == DeepLabHead.DeepLabV3 ? DeepLabOptions.DeepLabV3AtrousRates : new DeepLabOptions().AtrousRates,
                },
                Augmentation = new Augmentation { CropSize = cropSize, LongSide = TrainingRunOptions.LongSide(cropSize), ColourJitter = 0.1f },
                // DeepLab's 10x head rate is for a pretrained backbone; from scratch it diverged (SegmenterTrainingOptions).
                Sgd = o.Sgd(r) with { HeadLearningRateMultiplier = o.ValueOr(r, o.HeadLearningRateMultiplier, 10f) },
                Loss = loss.Options(r),
                Adversarial = adversarialOptions.Read(r, pixelLabels: r.GetValue(pixelLabels) is not null),
            }.Validate);
            // Options are checked before the dataset is read, so a bad value fails fast.
            var trainSet = o.TrainingSet(r);
            var valSet = o.ValidationSet(r);
            string runDir = r.GetValue(o.Run)!.FullName;
            var pixelLabelled = r.GetValue(pixelLabels) is { } pixelSplit ? UsageException.Validated(() => PixelLabelledSet.Open(trainSet, pixelSplit)) : null;
            var source = new VocTrainingSource(trainSet, r.GetValue(labels)!.FullName, cacheImages: true, pixelLabelled?.Ids);
            var (initial, init) = o.InitialWeights(r, message => AnsiConsole.MarkupLine(Markup.Escape(message)));
            o.StartRun(r, runDir, new RunConfig
            {
                Kind = "segmenter",
                Dataset = trainSet.ListPath,
                Classes = trainSet.Classes.Foreground,
                Segmenter = options.Network with { Classes = trainSet.Classes.Count + 1 },
                PixelLabels = pixelLabelled?.ListPath,
                PixelLabelledImages = pixelLabelled?.Ids.Count,
                CropSize = cropSize,
                Epochs = options.Sgd.Epochs,
                BatchSize = options.Sgd.BatchSize,
                LearningRate = options.Sgd.LearningRate,
                Seed = options.Sgd.Seed,
                Normalization = options.Augmentation.Normalization.ToManifest(),
                Init = init,
                SegmenterLoss = options.Loss,
                Adversarial = options.Adversarial,
                Command = "wsss-train " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            });
            var validation = valSet is null ? null : SegmenterTrainer.MeanIoUOn(
                new VocTrainingSource(valSet, cacheImages: true), options.Augmentation.Normalization, options.Sgd.Threads);
            AnsiConsole.MarkupLine(Markup.Escape(
                $"training the {NameOf(deepLabHead)} segmenter on {trainSet.Samples.Count} images with labels from {r.GetValue(labels)!.FullName}; run folder {runDir}"));
            if (pixelLabelled is not null)
                AnsiConsole.MarkupLine(Markup.Escape($"{pixelLabelled.Ids.Count} of them ({pixelLabelled.ListPath}) train on their ground-truth masks instead"));
            var result = ConsoleProgress.Run("segmenter", progress => new SegmenterTrainer(options, source, runDir)
            {
                Progress = progress,
                Validation = validation,
                InitialWeights = initial,
                UsesGroundTruth = source.UsesGroundTruth,
            }.Train());
            TrainClassifierCommand.ReportProblems(result.Problems);
            return 0;
        });
        return command;
    }

    public const string DeepLabV2 = "deeplab-v2";

    public const string DeepLabV3 = "deeplab-v3";

    /// <summary>The --head name of a head, as run.json's provenance and the docs spell it.</summary>
    public static string NameOf(DeepLabHead head) => head == DeepLabHead.DeepLabV3 ? DeepLabV3 : DeepLabV2;

    private static DeepLabHead HeadOf(string name) => name == DeepLabV3 ? DeepLabHead.DeepLabV3 : DeepLabHead.DeepLabV2;
}
