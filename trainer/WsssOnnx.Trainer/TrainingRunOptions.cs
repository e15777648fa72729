using System.CommandLine;
using WsssOnnx.Datasets;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using WsssOnnx.Training.Loop;
using WsssOnnx.Training.Pretrained;

namespace WsssOnnx.Trainer;

/// <summary>The command-line options train-classifier and train-segmenter share, with each command's defaults.</summary>
internal sealed class TrainingRunOptions
{
    /// <param name="defaults">The trainer's SGD settings: the options' defaults, and momentum and weight decay as they are.</param>
    public TrainingRunOptions(SgdSettings defaults, string validationPurpose)
    {
        _defaults = defaults;
        HeadLearningRateMultiplier = new Option<float>("--head-lr-multiplier")
        {
            Description = "The head's learning rate over the backbone's",
            DefaultValueFactory = _ => defaults.HeadLearningRateMultiplier,
        };
        Epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => defaults.Epochs };
        Batch = new Option<int>("--batch") { DefaultValueFactory = _ => defaults.BatchSize };
        LearningRate = new Option<float>("--lr")
        {
            Description = "Backbone learning rate at step 0 (the head gets --head-lr-multiplier times it; poly decay)",
            DefaultValueFactory = _ => defaults.LearningRate,
        };
        ValidationSplit = new Option<string?>("--val-split")
        {
            Description = $"Validation split for {validationPurpose} after each epoch (none: skip): {VocLayout.SplitHelp}",
            DefaultValueFactory = _ => "val",
        };
    }

    public Option<DirectoryInfo> Data { get; } = new("--data") { Description = VocLayout.RootHelp, Required = true };

    public Option<DirectoryInfo> Run { get; } = new("--run") { Description = "Run folder: checkpoint.onnx, run.json, metrics.csv/jsonl (resumed if it holds a checkpoint)", Required = true };

    public Option<string> Split { get; } = new("--split") { Description = $"Training split: {VocLayout.SplitHelp}", DefaultValueFactory = _ => "train" };

    public Option<string?> ValidationSplit { get; }

    public Option<int> Epochs { get; }

    public Option<int> Batch { get; }

    public Option<float> LearningRate { get; }

    public Option<float> HeadLearningRateMultiplier { get; }

    public Option<int> Crop { get; } = new("--crop") { Description = "Square training crop size", DefaultValueFactory = _ => 128 };

    public Option<int> Depth { get; } = new("--depth") { Description = "ResNet depth: 18, 34, 50, 101", DefaultValueFactory = _ => 18 };

    public Option<int> Width { get; } = new("--width") { Description = "ResNet base width (64 = the standard networks)", DefaultValueFactory = _ => 16 };

    public Option<int> Seed { get; } = new("--seed") { DefaultValueFactory = _ => 0 };

    public Option<int> Threads { get; } = new("--threads") { Description = "ORT threads (0: one per core)", DefaultValueFactory = _ => 0 };

    public Option<bool> StopOnBadSample { get; } = new("--stop-on-bad-sample") { Description = "Stop at the first unreadable sample instead of skipping it" };

    public Option<string?> Pretrained { get; } = new Option<string?>("--pretrained")
    {
        Description = "Start the backbone from ImageNet weights (ResNet-18, width 64, layer4 of 3 blocks; imported on first use into .deps/pretrained) " +
                      "with the pretrained recipe's defaults for the options not given",
    }.AcceptOnlyFromAmong(ImageNetBackbone.Name);

    public Option<string?> TrainableStages { get; } = new("--trainable-stages")
    {
        Description = "The backbone stages trained, comma-separated from stem, layer1, layer2, layer3, layer4, or all / none " +
                      "(default: all from scratch and with --init-from, the pretrained recipe's with --pretrained); the others stay frozen",
    };

    public Option<FileInfo?> InitFrom { get; } = new("--init-from") { Description = "An ONNX ResNet whose initializers (torchvision names) initialise the backbone" };

    public Option<bool> Restart { get; } = new("--restart") { Description = "Start over: ignore (and replace) a checkpoint in the run folder" };

    public Option<bool> Extend { get; } = new("--extend") { Description = "Resume a run with a different --epochs (its learning-rate schedule is recomputed for the new length)" };

    /// <summary>
    /// Prepares the run folder for <paramref name="config"/>: with --restart, removes its checkpoint; else, if it holds
    /// one, refuses settings that differ from its run.json (only --epochs, and only with --extend, may change), so a
    /// resumed run never silently trains on another schedule or data. Then writes run.json.
    /// </summary>
    /// <exception cref="UsageException">The run would resume with other settings; the message says which and what to do.</exception>
    public void StartRun(ParseResult r, string runDirectory, RunConfig config)
    {
        string checkpoint = Path.Combine(runDirectory, ClassifierTrainer.CheckpointFile);
        if (r.GetValue(Restart))
        {
            if (File.Exists(checkpoint)) File.Delete(checkpoint);
        }
        else if (File.Exists(checkpoint) && File.Exists(Path.Combine(runDirectory, RunConfig.FileName)))
        {
            var started = RunConfig.Load(runDirectory);
            var conflicts = config.ResumeConflicts(started);
            bool onlyEpochs = conflicts is [{ Name: "epochs" }];
            if (conflicts.Count > 0 && !(onlyEpochs && r.GetValue(Extend)))
                throw new UsageException($"{runDirectory} holds a run started with other settings: {string.Join("; ", conflicts)}. " +
                    "Resume it with the same settings, give --restart to start over" + (onlyEpochs ? ", or --extend to train it to the new --epochs." : "."));
        }
        config.Save(runDirectory);
    }

    public void AddTo(Command command)
    {
        Option[] all =
        [
            Data, Run, Split, ValidationSplit, Epochs, Batch, LearningRate, HeadLearningRateMultiplier, Crop, Depth, Width, Seed, Threads,
            StopOnBadSample, Pretrained, TrainableStages, InitFrom, Restart, Extend,
        ];
        foreach (Option o in all)
            command.Options.Add(o);
    }

    public bool IsPretrained(ParseResult r) => r.GetValue(Pretrained) is not null;

    /// <summary>Whether the user gave <paramref name="option"/> (its default does not count).</summary>
    private static bool Given(ParseResult r, Option option) => r.GetResult(option) is { Implicit: false };

    private readonly SgdSettings _defaults;

    /// <summary>The run's SGD settings: the shared options as given (or their defaults) over the trainer's defaults.</summary>
    public SgdSettings Sgd(ParseResult r) => _defaults with
    {
        Epochs = r.GetValue(Epochs),
        BatchSize = r.GetValue(Batch),
        LearningRate = r.GetValue(LearningRate),
        HeadLearningRateMultiplier = r.GetValue(HeadLearningRateMultiplier),
        Seed = r.GetValue(Seed),
        Threads = r.GetValue(Threads),
        StopOnBadSample = r.GetValue(StopOnBadSample),
    };

    /// <summary>The option's value, or <paramref name="pretrainedDefault"/> when --pretrained is given and the option is not.</summary>
    public T ValueOr<T>(ParseResult r, Option<T> option, T pretrainedDefault) =>
        IsPretrained(r) && !Given(r, option) ? pretrainedDefault : r.GetValue(option)!;

    /// <summary>
    /// The starting weights (--pretrained or --init-from, not both) and how run.json records them; null weights: from
    /// scratch. The ImageNet network is imported and cached on first use.
    /// </summary>
    public (IReadOnlyDictionary<string, HostTensor<float>>? Weights, string Description) InitialWeights(ParseResult r, Action<string> log)
    {
        if (IsPretrained(r))
        {
            string path = ImageNetBackbone.EnsureCached(log);
            return (ModelFile.FloatInitializers(ModelFile.Read(path)), $"{ImageNetBackbone.Name}: NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 {ImageNetBackbone.NetworkFile} " +
                $"(sha256 {ImageNetBackbone.NetworkSha256})");
        }
        return r.GetValue(InitFrom) is { } file ? (ModelFile.FloatInitializers(ModelFile.Read(file.FullName)), $"init-from: {file.FullName}") : (null, "");
    }

    public BadSamplePolicy Policy(ParseResult r) => r.GetValue(StopOnBadSample) ? BadSamplePolicy.Stop : BadSamplePolicy.Skip;

    /// <summary>The training list; one with fewer images than a batch is refused, as a training step needs a whole batch.</summary>
    public VocDataset TrainingSet(ParseResult r)
    {
        var set = TrainClassifierCommand.OpenDataset(r.GetValue(Data)!.FullName, r.GetValue(Split)!, Policy(r));
        int batch = r.GetValue(Batch);
        UsageException.Check(set.Samples.Count >= batch, $"--batch {batch} is more than the {set.Samples.Count} images of {set.ListPath}; give a smaller --batch.");
        return set;
    }

    public VocDataset? ValidationSet(ParseResult r)
    {
        var name = r.GetValue(ValidationSplit);
        return string.IsNullOrEmpty(name) || name == "none" ? null : TrainClassifierCommand.OpenDataset(r.GetValue(Data)!.FullName, name, Policy(r));
    }

    /// <summary>
    /// The backbone these options describe. From scratch: every stage trainable, batch statistics. With --pretrained: the
    /// ImageNet network's shape, frozen statistics, and <paramref name="pretrained"/>'s trainable stages and affine policy
    /// (the recipe of the paper each command follows).
    /// </summary>
    public ResNetOptions Backbone(ParseResult r, ResNetLayout layout, (ResNetStages Stages, bool TrainAffine) pretrained)
    {
        if (IsPretrained(r) && r.GetValue(InitFrom) is not null)
            throw new UsageException("--pretrained and --init-from both choose the starting weights: give one.");
        if (!IsPretrained(r))
        {
            return new()
            {
                Depth = r.GetValue(Depth),
                Width = r.GetValue(Width),
                Seed = r.GetValue(Seed),
                Layout = layout,
                TrainableStages = Stages(r) ?? ResNetStages.All,
                BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Training },
            };
        }
        if (Given(r, Depth) && r.GetValue(Depth) != 18 || Given(r, Width) && r.GetValue(Width) != 64)
            throw new UsageException("--pretrained imagenet is a ResNet-18 of width 64: leave out --depth and --width, or give 18 and 64.");
        return new()
        {
            Depth = 18,
            Width = 64,
            Layer4Blocks = 3,
            Seed = r.GetValue(Seed),
            Layout = layout,
            TrainableStages = Stages(r) ?? pretrained.Stages,
            BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Frozen, TrainAffine = pretrained.TrainAffine },
        };
    }

    /// <summary>--trainable-stages as given, or null when it is not.</summary>
    private ResNetStages? Stages(ParseResult r) => r.GetValue(TrainableStages) is { } text ? ParseStages(text) : null;

    /// <summary>"layer3,layer4", "all" or "none" as <see cref="ResNetStages"/>; names are case-insensitive.</summary>
    /// <exception cref="UsageException">An empty list or a name that is not a stage.</exception>
    public static ResNetStages ParseStages(string text)
    {
        var stages = ResNetStages.None;
        var names = text.Split(',', StringSplitOptions.TrimEntries);
        foreach (string name in names)
        {
            bool known = Enum.TryParse<ResNetStages>(name, ignoreCase: true, out var stage) && Enum.IsDefined(stage) && !int.TryParse(name, out _);
            UsageException.Check(known, $"--trainable-stages: '{name}' is not a stage; give stem, layer1, layer2, layer3, layer4 (comma-separated), all or none.");
            stages |= stage;
        }
        return stages;
    }

    /// <summary>IRN-style random long-side range around the crop: 0.75x to 1.375x.</summary>
    public static (int Min, int Max) LongSide(int crop) => ((int)(crop * 0.75), (int)(crop * 1.375));
}
