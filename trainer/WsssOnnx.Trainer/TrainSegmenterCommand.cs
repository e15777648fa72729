using System.CommandLine;
using Spectre.Console;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Training.Data;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Trainer;

/// <summary>`wsss-train train-segmenter`: the DeepLab-style segmenter on pseudo-label PNGs, validated by mIoU against ground truth.</summary>
internal static class TrainSegmenterCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "VOC-layout dataset root", Required = true };
        var labels = new Option<DirectoryInfo>("--labels") { Description = "Folder of <id>.png pseudo-label maps (255 = ignore)", Required = true };
        var run = new Option<DirectoryInfo>("--run") { Description = "Run folder (resumed if it holds a checkpoint)", Required = true };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "train" };
        var valSplit = new Option<string?>("--val-split") { Description = "Split with ground-truth masks for mIoU (none: skip)", DefaultValueFactory = _ => "val" };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 12 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 8 };
        var lr = new Option<float>("--lr") { DefaultValueFactory = _ => 0.02f };
        var crop = new Option<int>("--crop") { DefaultValueFactory = _ => 128 };
        var depth = new Option<int>("--depth") { DefaultValueFactory = _ => 18 };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 16 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 0 };
        var stopOnBad = new Option<bool>("--stop-on-bad-sample");
        var command = new Command("train-segmenter", "Train the segmenter (dilated ResNet + ASPP, pixel cross-entropy ignoring 255) on pseudo-labels")
        {
            data, labels, run, split, valSplit, epochs, batch, lr, crop, depth, width, seed, threads, stopOnBad,
        };
        command.SetAction(r =>
        {
            var policy = r.GetValue(stopOnBad) ? BadSamplePolicy.Stop : BadSamplePolicy.Skip;
            var trainSet = TrainClassifierCommand.OpenDataset(r.GetValue(data)!.FullName, r.GetValue(split)!, policy);
            var valName = r.GetValue(valSplit);
            var valSet = string.IsNullOrEmpty(valName) || valName == "none" ? null : TrainClassifierCommand.OpenDataset(r.GetValue(data)!.FullName, valName, policy);
            int cropSize = r.GetValue(crop);
            var options = new SegmenterTrainingOptions
            {
                Network = new DeepLabOptions
                {
                    Backbone = new ResNetOptions
                    {
                        Depth = r.GetValue(depth),
                        Width = r.GetValue(width),
                        Seed = r.GetValue(seed),
                        Layout = ResNetLayout.DilatedOutputStride8,
                        TrainableStages = ResNetStages.All,
                        BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Training },
                    },
                    Seed = r.GetValue(seed),
                },
                Augmentation = new Augmentation { CropSize = cropSize, LongSide = ((int)(cropSize * 0.75), (int)(cropSize * 1.375)), ColourJitter = 0.1f },
                Epochs = r.GetValue(epochs),
                BatchSize = r.GetValue(batch),
                LearningRate = r.GetValue(lr),
                Seed = r.GetValue(seed),
                Threads = r.GetValue(threads),
                StopOnBadSample = r.GetValue(stopOnBad),
            }.Validate();
            string runDir = r.GetValue(run)!.FullName;
            var source = new VocTrainingSource(trainSet, r.GetValue(labels)!.FullName, cacheImages: true);
            new RunConfig
            {
                Kind = "segmenter",
                Dataset = trainSet.ListPath,
                Classes = trainSet.Classes.Foreground,
                Segmenter = options.Network with { Classes = trainSet.Classes.Count + 1 },
                CropSize = cropSize,
                Epochs = options.Epochs,
                BatchSize = options.BatchSize,
                LearningRate = options.LearningRate,
                Seed = options.Seed,
                Command = "wsss-train " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            }.Save(runDir);
            var validation = valSet is null ? null : SegmenterTrainer.MeanIoUOn(new VocTrainingSource(valSet, cacheImages: true), ImageNormalization.ImageNet, options.Threads);
            AnsiConsole.MarkupLine(Markup.Escape($"training on {trainSet.Samples.Count} images with labels from {r.GetValue(labels)!.FullName}; run folder {runDir}"));
            var result = ConsoleProgress.Run("segmenter", progress => new SegmenterTrainer(options, source, runDir) { Progress = progress, Validation = validation }.Train());
            TrainClassifierCommand.ReportProblems(result.Problems);
            return 0;
        });
        return command;
    }
}
