using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using WsssOnnx.Datasets;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using WsssOnnx.Training.Export;
using WsssOnnx.Training.Loop;
using WsssOnnx.Training.Metrics;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Trainer;

/// <summary>
/// `wsss-train export`: a model package from training runs, measured on the validation split (mAP, CAM and AdvCAM seed mIoU,
/// segmenter mIoU); the best CAM and AdvCAM seed thresholds become the package's defaults. With --package instead of
/// --classifier-run, a new version of an existing package: its classifier as it is, a new segmenter and/or boundary network.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var classifierRun = new Option<DirectoryInfo?>("--classifier-run") { Description = "Run folder of train-classifier; or --package" };
        var package = new Option<DirectoryInfo?>("--package")
        {
            Description = "Instead of --classifier-run: a package whose classifier and climber the new version keeps as they are, with the networks of --segmenter-run and/or --irn-run",
        };
        var segmenterRun = new Option<DirectoryInfo?>("--segmenter-run") { Description = "Run folder of train-segmenter (optional)" };
        var irnRun = new Option<DirectoryInfo?>("--irn-run") { Description = "Run folder of train-irn (optional): adds boundary.onnx for random-walk labels" };
        var models = new Option<DirectoryInfo>("--models") { Description = "Packages root", DefaultValueFactory = _ => new DirectoryInfo("models") };
        var name = new Option<string>("--name") { DefaultValueFactory = _ => "default" };
        var version = new Option<string>("--version") { Required = true, Description = "New version folder (packages are immutable)" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Dataset to measure the package on (default: the classifier run's)" };
        var valSplit = new Option<string>("--val-split") { Description = $"The split to measure on: {VocLayout.SplitHelp}", DefaultValueFactory = _ => "val" };
        var provenance = new Option<string[]>("--provenance-command") { Description = "Commands that made the data and runs, recorded in the manifest", AllowMultipleArgumentsPerToken = true };
        var thresholdImages = new Option<int>("--threshold-images")
        {
            Description = "The first N validation images measure AdvCAM's seed threshold (CAM's uses all); 0: skip, AdvCAM ships CAM's threshold",
            DefaultValueFactory = _ => PackageEvaluation.DefaultThresholdImages,
        };
        var command = new Command("export", "Write a model package (classifier, AdvCAM climber, segmenter, boundary ONNX + manifest) from training runs")
        {
            classifierRun, package, segmenterRun, irnRun, models, name, version, data, valSplit, provenance, thresholdImages,
        };
        command.SetAction(r =>
        {
            int sweepImages = r.GetValue(thresholdImages);
            UsageException.Check(sweepImages >= 0, $"--threshold-images must be 0 or more; got {sweepImages}.");
            UsageException.Check((r.GetValue(classifierRun) is null) != (r.GetValue(package) is null),
                "give either --classifier-run (a new package) or --package (a new version of one), not both and not neither.");
            UsageException.Validated(() => PackageExporter.CheckNames(r.GetValue(name)!, r.GetValue(version)!));
            if (r.GetValue(package) is { } sourcePackage) return Derive(r, ModelPackage.Open(sourcePackage.FullName), segmenterRun, irnRun, models, name, version, data, valSplit, provenance);
            var clsConfig = RunConfig.Load(r.GetValue(classifierRun)!.FullName);
            var clsNetwork = clsConfig.Classifier ?? throw new InvalidDataException("the classifier run's run.json has no classifier network");
            var clsWeights = LoadClassifier(r.GetValue(classifierRun)!.FullName, clsNetwork);
            TrainedSegmenter? segmenter = null;
            RunConfig? segConfig = null;
            if (r.GetValue(segmenterRun) is { } segDir)
            {
                segConfig = RunConfig.Load(segDir.FullName);
                segConfig.CheckNormalization(clsConfig.InputNormalization, segDir.FullName, "the classifier run");
                var segNetwork = segConfig.Segmenter ?? throw new InvalidDataException("the segmenter run's run.json has no segmenter network");
                segmenter = new TrainedSegmenter(segNetwork, LoadSegmenter(segDir.FullName, segNetwork));
            }

            TrainedBoundary? boundary = null;
            RunConfig? irnConfig = null;
            if (r.GetValue(irnRun) is { } irnDir)
            {
                irnConfig = RunConfig.Load(irnDir.FullName);
                irnConfig.CheckNormalization(clsConfig.InputNormalization, irnDir.FullName, "the classifier run");
                var irnNetwork = irnConfig.Boundary ?? throw new InvalidDataException("the IRN run's run.json has no boundary network");
                boundary = new TrainedBoundary(irnNetwork, LoadBoundary(irnDir.FullName, irnNetwork));
            }

            string dataRoot = r.GetValue(data)?.FullName ?? VocLayout.RootOfSplitList(clsConfig.Dataset)
                ?? throw new UsageException($"the classifier run's list {clsConfig.Dataset} is not in a dataset's ImageSets/Segmentation: give --data.");
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
            if (clsConfig.Ecs is { } ecs) settings["classifier_ecs"] = EcsCommandOptions.Describe(ecs);
            if (clsConfig.Fgsm is { } fgsm) settings["classifier_fgsm"] = FgsmCommandOptions.Describe(fgsm);
            if (clsNetwork.Acol is { } acol)
            {
                settings["classifier_localiser"] = ClassifierLocaliser.Acol;
                settings["acol_threshold"] = acol.Threshold.ToString(CultureInfo.InvariantCulture);
            }
            if (segConfig is not null) settings["segmenter_epochs"] = segConfig.Epochs.ToString(CultureInfo.InvariantCulture);
            if (segConfig is not null) AddSegmenterSettings(settings, segConfig);
            if (segConfig is { Init.Length: > 0 }) settings["segmenter_init"] = segConfig.Init;
            foreach (var (key, value) in segConfig?.SegmenterLossSettings() ?? []) settings[key] = value;
            if (irnConfig is not null)
            {
                settings["irn_epochs"] = irnConfig.Epochs.ToString(CultureInfo.InvariantCulture);
                settings["irn_init"] = irnConfig.Init;
            }

            string written = PackageExporter.Export(r.GetValue(models)!.FullName, r.GetValue(name)!, r.GetValue(version)!, clsConfig.Classes,
                new TrainedClassifier(clsNetwork, clsWeights, clsConfig.CropSize), segmenter,
                new Provenance { Dataset = clsConfig.Dataset, Commands = commands, Settings = settings },
                staged => PackageEvaluation.Measure(staged, source, sweepImages, Console.Out), boundary: boundary,
                normalization: clsConfig.InputNormalization);
            AnsiConsole.MarkupLine(Markup.Escape($"wrote {written}"));
            Console.WriteLine(File.ReadAllText(Path.Combine(written, ModelManifest.FileName)));
            return 0;
        });
        return command;
    }

    /// <summary>export --package: the source's classifier and climber, new networks from the runs given, measured on --data or the source's dataset.</summary>
    private static int Derive(ParseResult r, ModelPackage source, Option<DirectoryInfo?> segmenterRun, Option<DirectoryInfo?> irnRun, Option<DirectoryInfo> models,
        Option<string> name, Option<string> version, Option<DirectoryInfo?> data, Option<string> valSplit, Option<string[]> provenance)
    {
        var foreground = source.Manifest.Classes.Skip(1).ToList();
        var commands = new List<string>(r.GetValue(provenance) ?? []);
        var settings = new Dictionary<string, string>();
        RunConfig Run(DirectoryInfo dir, string kind)
        {
            var config = RunConfig.Load(dir.FullName);
            if (!config.Classes.SequenceEqual(foreground))
                throw new InvalidDataException($"the {kind} run {dir.FullName} was trained on classes {string.Join(", ", config.Classes)}, but {source.Directory} has {string.Join(", ", foreground)}");
            config.CheckNormalization(source.Manifest.Normalization, dir.FullName, source.Directory);
            commands.Add(config.Command);
            return config;
        }

        TrainedSegmenter? segmenter = null;
        if (r.GetValue(segmenterRun) is { } segDir)
        {
            var segConfig = Run(segDir, "segmenter");
            foreach (var (key, value) in segConfig.SegmenterLossSettings()) settings[key] = value;
            var network = segConfig.Segmenter ?? throw new InvalidDataException("the segmenter run's run.json has no segmenter network");
            AddSegmenterSettings(settings, segConfig);
            segmenter = new TrainedSegmenter(network, LoadSegmenter(segDir.FullName, network));
        }
        TrainedBoundary? boundary = null;
        if (r.GetValue(irnRun) is { } irnDir)
        {
            var network = Run(irnDir, "IRN").Boundary ?? throw new InvalidDataException("the IRN run's run.json has no boundary network");
            boundary = new TrainedBoundary(network, LoadBoundary(irnDir.FullName, network));
        }
        UsageException.Check(segmenter is not null || boundary is not null, "--package makes a new version with new networks: give --segmenter-run and/or --irn-run.");
        commands.Add("wsss-train " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));

        string dataRoot = r.GetValue(data)?.FullName ?? VocLayout.RootOfSplitList(source.Manifest.Provenance.Dataset)
            ?? throw new UsageException($"{source.Directory}'s manifest names no dataset list to measure on: give --data.");
        var valSet = TrainClassifierCommand.OpenDataset(dataRoot, r.GetValue(valSplit)!, BadSamplePolicy.Skip);
        string written = PackageExporter.Derive(source, r.GetValue(models)!.FullName, r.GetValue(name)!, r.GetValue(version)!, segmenter, boundary, commands,
            settings: settings,
            evaluate: staged => PackageEvaluation.MeasureNetworks(staged, new VocTrainingSource(valSet), Console.Out, segmenter: segmenter is not null, walk: boundary is not null));
        AnsiConsole.MarkupLine(Markup.Escape($"wrote {written} (classifier and climber from {source.Directory})"));
        Console.WriteLine(File.ReadAllText(Path.Combine(written, ModelManifest.FileName)));
        return 0;
    }

    /// <summary>The segmenter run's choices the provenance records: its head and, semi-supervised, its pixel-labelled list and adversarial settings.</summary>
    private static void AddSegmenterSettings(Dictionary<string, string> settings, RunConfig segmenter)
    {
        if (segmenter.Segmenter is { } network) settings["segmenter_head"] = TrainSegmenterCommand.NameOf(network.Head);
        if (segmenter.PixelLabels is { } list) settings["segmenter_pixel_labels"] = $"{list} ({segmenter.PixelLabelledImages} images)";
        if (segmenter.Adversarial is { } adversarial) settings["segmenter_adversarial"] = AdversarialCommandOptions.Describe(adversarial);
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
        // Frozen statistics name the same parameters as training's, without its batch-size needs.
        DeepLabSegmenter.Build(g, g.Input("image", DataType.Float, [1, 3, -1, -1]), network.WithBatchNormMode(BatchNormMode.Frozen));
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
