using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Runtime;
using WsssOnnx.Runtime.Packages;
using WsssOnnx.Training.Data;
using WsssOnnx.Training.Export;
using WsssOnnx.Training.Loop;
using WsssOnnx.Training.Metrics;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Trainer;

/// <summary>
/// `wsss-train export`: a model package from training runs, measured on the validation split (mAP, CAM and AdvCAM seed mIoU,
/// segmenter mIoU); the best CAM and AdvCAM seed thresholds become the package's defaults.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var classifierRun = new Option<DirectoryInfo>("--classifier-run") { Description = "Run folder of train-classifier", Required = true };
        var segmenterRun = new Option<DirectoryInfo?>("--segmenter-run") { Description = "Run folder of train-segmenter (optional)" };
        var irnRun = new Option<DirectoryInfo?>("--irn-run") { Description = "Run folder of train-irn (optional): adds boundary.onnx for random-walk labels" };
        var models = new Option<DirectoryInfo>("--models") { Description = "Packages root", DefaultValueFactory = _ => new DirectoryInfo("models") };
        var name = new Option<string>("--name") { DefaultValueFactory = _ => "default" };
        var version = new Option<string>("--version") { Required = true, Description = "New version folder (packages are immutable)" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Dataset to measure the package on (default: the classifier run's)" };
        var valSplit = new Option<string>("--val-split") { DefaultValueFactory = _ => "val" };
        var provenance = new Option<string[]>("--provenance-command") { Description = "Commands that made the data and runs, recorded in the manifest", AllowMultipleArgumentsPerToken = true };
        var thresholdImages = new Option<int>("--threshold-images")
        {
            Description = "The first N validation images measure AdvCAM's seed threshold (CAM's uses all); 0: skip, AdvCAM ships CAM's threshold",
            DefaultValueFactory = _ => PackageEvaluation.DefaultThresholdImages,
        };
        var command = new Command("export", "Write a model package (classifier, AdvCAM climber, segmenter, boundary ONNX + manifest) from training runs")
        {
            classifierRun, segmenterRun, irnRun, models, name, version, data, valSplit, provenance, thresholdImages,
        };
        command.SetAction(r =>
        {
            int sweepImages = r.GetValue(thresholdImages);
            if (sweepImages < 0) throw new ArgumentException($"--threshold-images must be 0 or more; got {sweepImages}.");
            var clsConfig = RunConfig.Load(r.GetValue(classifierRun)!.FullName);
            var clsNetwork = clsConfig.Classifier ?? throw new InvalidDataException("the classifier run's run.json has no classifier network");
            var clsWeights = LoadClassifier(r.GetValue(classifierRun)!.FullName, clsNetwork);
            TrainedSegmenter? segmenter = null;
            RunConfig? segConfig = null;
            if (r.GetValue(segmenterRun) is { } segDir)
            {
                segConfig = RunConfig.Load(segDir.FullName);
                var segNetwork = segConfig.Segmenter ?? throw new InvalidDataException("the segmenter run's run.json has no segmenter network");
                segmenter = new TrainedSegmenter(segNetwork, LoadSegmenter(segDir.FullName, segNetwork));
            }

            TrainedBoundary? boundary = null;
            RunConfig? irnConfig = null;
            if (r.GetValue(irnRun) is { } irnDir)
            {
                irnConfig = RunConfig.Load(irnDir.FullName);
                var irnNetwork = irnConfig.Boundary ?? throw new InvalidDataException("the IRN run's run.json has no boundary network");
                boundary = new TrainedBoundary(irnNetwork, LoadBoundary(irnDir.FullName, irnNetwork));
            }

            string dataRoot = r.GetValue(data)?.FullName ?? Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(clsConfig.Dataset)!)!)!;
            var valSet = TrainClassifierCommand.OpenDataset(dataRoot, r.GetValue(valSplit)!, BadSamplePolicy.Skip);
            var source = new VocTrainingSource(valSet);
            var commands = (r.GetValue(provenance) ?? []).Concat([clsConfig.Command]).Concat(segConfig is null ? [] : [segConfig.Command]).Concat(irnConfig is null ? [] : [irnConfig.Command])
                .Append("wsss-train " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1))).ToList();
            var settings = new Dictionary<string, string>
            {
                ["classifier_epochs"] = clsConfig.Epochs.ToString(CultureInfo.InvariantCulture),
                ["classifier_batch"] = clsConfig.BatchSize.ToString(CultureInfo.InvariantCulture),
                ["classifier_lr"] = clsConfig.LearningRate.ToString(CultureInfo.InvariantCulture),
                ["classifier_crop"] = clsConfig.CropSize.ToString(CultureInfo.InvariantCulture),
                ["seed"] = clsConfig.Seed.ToString(CultureInfo.InvariantCulture),
            };
            if (clsConfig.Init.Length > 0) settings["classifier_init"] = clsConfig.Init;
            if (segConfig is not null) settings["segmenter_epochs"] = segConfig.Epochs.ToString(CultureInfo.InvariantCulture);
            if (segConfig is { Init.Length: > 0 }) settings["segmenter_init"] = segConfig.Init;
            if (irnConfig is not null)
            {
                settings["irn_epochs"] = irnConfig.Epochs.ToString(CultureInfo.InvariantCulture);
                settings["irn_init"] = irnConfig.Init;
            }

            string written = PackageExporter.Export(r.GetValue(models)!.FullName, r.GetValue(name)!, r.GetValue(version)!, clsConfig.Classes,
                new TrainedClassifier(clsNetwork, clsWeights, clsConfig.CropSize), segmenter,
                new Provenance { Dataset = clsConfig.Dataset, Commands = commands, Settings = settings },
                staged => PackageEvaluation.Measure(staged, source, sweepImages, Console.Out), boundary: boundary);
            AnsiConsole.MarkupLine(Markup.Escape($"wrote {written}"));
            Console.WriteLine(File.ReadAllText(Path.Combine(written, ModelManifest.FileName)));
            return 0;
        });
        return command;
    }

    internal static Dictionary<string, HostTensor<float>> LoadClassifier(string run, CamClassifierOptions network)
    {
        var g = new GraphBuilder("load");
        CamClassifier.Build(g, g.Input("image", DataType.Float, [1, 3, -1, -1]), network);
        return LoadCheckpoint(g, run);
    }

    internal static Dictionary<string, HostTensor<float>> LoadSegmenter(string run, DeepLabOptions network)
    {
        var g = new GraphBuilder("load");
        DeepLabSegmenter.Build(g, g.Input("image", DataType.Float, [1, 3, -1, -1]), network);
        return LoadCheckpoint(g, run);
    }

    internal static Dictionary<string, HostTensor<float>> LoadBoundary(string run, BoundaryNetworkOptions network)
    {
        var g = new GraphBuilder("load");
        BoundaryNetwork.Build(g, g.Input("image", DataType.Float, [1, 3, -1, -1]), network);
        return LoadCheckpoint(g, run);
    }

    private static Dictionary<string, HostTensor<float>> LoadCheckpoint(GraphBuilder g, string run)
    {
        string checkpoint = Path.Combine(run, ClassifierTrainer.CheckpointFile);
        if (!File.Exists(checkpoint)) throw new FileNotFoundException($"{run} has no {ClassifierTrainer.CheckpointFile}: train first", checkpoint);
        var store = new ParameterStore(g);
        store.LoadCheckpoint(checkpoint);
        return store.Tensors;
    }
}
