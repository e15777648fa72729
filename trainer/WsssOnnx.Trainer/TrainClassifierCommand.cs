using System.CommandLine;
using Spectre.Console;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Training.Data;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Trainer;

/// <summary>`wsss-train train-classifier`: the CAM classifier on a VOC-layout dataset, with checkpoints and resume.</summary>
internal static class TrainClassifierCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "VOC-layout dataset root (JPEGImages, Annotations, ImageSets/Segmentation)", Required = true };
        var run = new Option<DirectoryInfo>("--run") { Description = "Run folder: checkpoint.onnx, run.json, metrics.csv/jsonl (resumed if it holds a checkpoint)", Required = true };
        var split = new Option<string>("--split") { Description = "Training list (ImageSets/Segmentation/<split>.txt) or a list file path", DefaultValueFactory = _ => "train" };
        var valSplit = new Option<string?>("--val-split") { Description = "Validation list for mAP after each epoch (none: skip)", DefaultValueFactory = _ => "val" };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 12 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 16 };
        var lr = new Option<float>("--lr") { Description = "Backbone learning rate (the head gets 10x)", DefaultValueFactory = _ => 0.05f };
        var crop = new Option<int>("--crop") { Description = "Square training crop size", DefaultValueFactory = _ => 128 };
        var depth = new Option<int>("--depth") { Description = "ResNet depth: 18, 34, 50, 101", DefaultValueFactory = _ => 18 };
        var width = new Option<int>("--width") { Description = "ResNet base width (64 = the standard networks)", DefaultValueFactory = _ => 16 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "ORT threads (0: one per core)", DefaultValueFactory = _ => 0 };
        var initFrom = new Option<FileInfo?>("--init-from") { Description = "An ONNX ResNet whose initializers (torchvision names) initialise the backbone" };
        var stopOnBad = new Option<bool>("--stop-on-bad-sample") { Description = "Stop at the first unreadable sample instead of skipping it" };
        var fresh = new Option<bool>("--restart") { Description = "Ignore an existing checkpoint in the run folder" };
        var command = new Command("train-classifier", "Train the CAM classifier (multi-label soft margin, SGD, poly schedule) on ONNX Runtime")
        {
            data, run, split, valSplit, epochs, batch, lr, crop, depth, width, seed, threads, initFrom, stopOnBad, fresh,
        };
        command.SetAction(r =>
        {
            var policy = r.GetValue(stopOnBad) ? BadSamplePolicy.Stop : BadSamplePolicy.Skip;
            var trainSet = OpenDataset(r.GetValue(data)!.FullName, r.GetValue(split)!, policy);
            var valName = r.GetValue(valSplit);
            var valSet = string.IsNullOrEmpty(valName) || valName == "none" ? null : OpenDataset(r.GetValue(data)!.FullName, valName, policy);
            int cropSize = r.GetValue(crop);
            var options = new ClassifierTrainingOptions
            {
                Network = new CamClassifierOptions
                {
                    Backbone = new ResNetOptions
                    {
                        Depth = r.GetValue(depth),
                        Width = r.GetValue(width),
                        Seed = r.GetValue(seed),
                        TrainableStages = ResNetStages.All,
                        BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Training },
                    },
                    Seed = r.GetValue(seed),
                },
                Augmentation = new Augmentation { CropSize = cropSize, LongSide = ((int)(cropSize * 0.75), (int)(cropSize * 1.375)) },
                Epochs = r.GetValue(epochs),
                BatchSize = r.GetValue(batch),
                LearningRate = r.GetValue(lr),
                Seed = r.GetValue(seed),
                Threads = r.GetValue(threads),
                StopOnBadSample = r.GetValue(stopOnBad),
            }.Validate();
            string runDir = r.GetValue(run)!.FullName;
            if (r.GetValue(fresh) && File.Exists(Path.Combine(runDir, ClassifierTrainer.CheckpointFile))) File.Delete(Path.Combine(runDir, ClassifierTrainer.CheckpointFile));
            var trainSource = new VocTrainingSource(trainSet, cacheImages: true);
            var valSource = valSet is null ? null : new VocTrainingSource(valSet, cacheImages: true);
            var initial = r.GetValue(initFrom) is { } init ? ModelFile.FloatInitializers(ModelFile.Read(init.FullName)) : null;
            new RunConfig
            {
                Kind = "classifier",
                Dataset = trainSet.ListPath,
                Classes = trainSet.Classes.Foreground,
                Classifier = options.Network with { Classes = trainSet.Classes.Count },
                CropSize = cropSize,
                Epochs = options.Epochs,
                BatchSize = options.BatchSize,
                LearningRate = options.LearningRate,
                Seed = options.Seed,
                Command = "wsss-train " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            }.Save(runDir);
            AnsiConsole.MarkupLine(Markup.Escape($"training on {trainSet.Samples.Count} images ({trainSet.Classes.Count} classes), validating on {valSet?.Samples.Count ?? 0}; run folder {runDir}"));
            var result = ConsoleProgress.Run("classifier", progress =>
                new ClassifierTrainer(options, trainSource, valSource, runDir) { Progress = progress, InitialWeights = initial }.Train());
            ReportProblems(result.Problems);
            return 0;
        });
        return command;
    }

    internal static VocDataset OpenDataset(string root, string split, BadSamplePolicy policy)
    {
        var options = new VocDatasetOptions { BadSamples = policy, CheckImagesOnOpen = false };
        var dataset = File.Exists(split) ? VocDataset.OpenList(root, split, options) : VocDataset.Open(root, split, options);
        ReportProblems([.. dataset.Problems.Select(p => p.ToString())]);
        return dataset;
    }

    internal static void ReportProblems(IReadOnlyList<string> problems)
    {
        if (problems.Count == 0) return;
        AnsiConsole.MarkupLine(Markup.Escape($"{problems.Count} samples could not be used:"));
        foreach (var p in problems.Distinct().Take(20)) AnsiConsole.MarkupLine(Markup.Escape($"  {p}"));
    }
}
