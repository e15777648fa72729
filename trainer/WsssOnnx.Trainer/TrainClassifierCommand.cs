using System.CommandLine;
using Spectre.Console;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Datasets;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Trainer;

/// <summary>`wsss-train train-classifier`: the CAM classifier on a VOC-layout dataset, with checkpoints and resume.</summary>
internal static class TrainClassifierCommand
{
    /// <summary>
    /// --pretrained's defaults, after IRN's CAM training on an ImageNet backbone: stem, layer1 and layer2 frozen (IRN
    /// freezes conv1 and detaches stage 2; AdvCAM's release trains layer1-layer4, which on the synthetic set left CAM
    /// level and AdvCAM below the FGSM default: SYNTHETIC.md, "Which stages train"), batch-norm statistics frozen
    /// everywhere, scales and biases trained where the convolutions are, the head at 10x the backbone's rate, 5 epochs.
    /// IRN's backbone rate 0.1 made the loss NaN in the first steps here (ResNet-18 at 176 px crops), 0.01 trains.
    /// </summary>
    private static class PretrainedRecipe
    {
        public const ResNetStages Stages = ResNetStages.Layer3 | ResNetStages.Layer4;
        public const int Epochs = 5;
        public const float LearningRate = 0.01f;
        public const float NoiseSigma = 0f;

        /// <summary>
        /// FGSM training at 2/255 of the 0-255 range under ImageNet's deviation, half clean loss (issue 12's study,
        /// docs/studies.md): AdvCAM lost 12 points to CAM on the plain classifier and 6 on this one, CAM stayed level (55.6
        /// vs 55.2 seeds, 73.8 vs 71.2 after CRF). Not with --ecs or --acol, which train the localiser their own way.
        /// </summary>
        public const float FgsmEpsilon = 0.035f;
    }

    public static Command Create()
    {
        var o = new TrainingRunOptions(ClassifierTrainingOptions.DefaultSgd, validationPurpose: "mAP");
        var noise = new Option<float>("--noise-sigma") { Description = "Gaussian noise added to the normalised training crops (standard deviation; 0: none)" };
        var hide = new Option<int>("--hide-patch")
        {
            Description = "Hide-and-Seek: hide each square of this many pixels of a training crop with probability 1/2 (0: none)",
        };
        var acol = new Option<bool>("--acol")
        {
            Description = "ACoL: a second head trained on the features with the first head's high-response regions erased; the package's maps fuse both heads",
        };
        var acolThreshold = new Option<float?>("--acol-threshold") { Description = "ACoL's erasing threshold delta in (0, 1] on the min-max normalised map (default 0.6, the paper's)" };
        var command = new Command("train-classifier", "Train the CAM classifier (multi-label soft margin, SGD, poly schedule) on ONNX Runtime")
        {
            noise, hide, acol, acolThreshold,
        };
        o.AddTo(command);
        var ecs = new EcsCommandOptions();
        ecs.AddTo(command);
        var fgsm = new FgsmCommandOptions();
        fgsm.AddTo(command);
        command.SetAction(r =>
        {
            int cropSize = r.GetValue(o.Crop);
            if (r.GetValue(acolThreshold) is not null && !r.GetValue(acol))
                throw new UsageException("--acol-threshold sets ACoL's erasing threshold: give --acol as well.");
            if (r.GetValue(acolThreshold) is { } delta)
                UsageException.Check(delta is > 0f and <= 1f, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--acol-threshold must be in (0, 1]; got {delta}."));
            var acolOptions = r.GetValue(acol) ? new AcolOptions { Threshold = r.GetValue(acolThreshold) ?? new AcolOptions().Threshold } : null;
            var ecsOptions = ecs.Read(r);
            var fgsmOptions = fgsm.Read(r, o.IsPretrained(r) && ecsOptions is null && acolOptions is null ? PretrainedRecipe.FgsmEpsilon : null);
            var options = UsageException.Validated(new ClassifierTrainingOptions
            {
                Network = new CamClassifierOptions
                {
                    Backbone = o.Backbone(r, ResNetLayout.OutputStride16, (PretrainedRecipe.Stages, TrainAffine: true)),
                    Seed = r.GetValue(o.Seed),
                    Acol = acolOptions,
                },
                Augmentation = new Augmentation
                {
                    CropSize = cropSize,
                    LongSide = TrainingRunOptions.LongSide(cropSize),
                    NoiseSigma = o.ValueOr(r, noise, PretrainedRecipe.NoiseSigma),
                    HidePatch = r.GetValue(hide),
                },
                Sgd = o.Sgd(r) with
                {
                    Epochs = o.ValueOr(r, o.Epochs, PretrainedRecipe.Epochs),
                    LearningRate = o.ValueOr(r, o.LearningRate, PretrainedRecipe.LearningRate),
                },
                Ecs = ecsOptions,
                Fgsm = fgsmOptions,
            }.Validate);
            // Options are checked before the dataset is read, so a bad value fails fast.
            var trainSet = o.TrainingSet(r);
            var valSet = o.ValidationSet(r);
            string runDir = r.GetValue(o.Run)!.FullName;
            var trainSource = new VocTrainingSource(trainSet, cacheImages: true);
            var valSource = valSet is null ? null : new VocTrainingSource(valSet, cacheImages: true);
            var (initial, init) = o.InitialWeights(r, message => AnsiConsole.MarkupLine(Markup.Escape(message)));
            o.StartRun(r, runDir, new RunConfig
            {
                Kind = "classifier",
                Dataset = trainSet.ListPath,
                Classes = trainSet.Classes.Foreground,
                Classifier = options.Network with { Classes = trainSet.Classes.Count },
                Ecs = options.Ecs,
                Fgsm = options.Fgsm,
                CropSize = cropSize,
                Epochs = options.Sgd.Epochs,
                BatchSize = options.Sgd.BatchSize,
                LearningRate = options.Sgd.LearningRate,
                Seed = options.Sgd.Seed,
                Init = init,
                Normalization = options.Augmentation.Normalization.ToManifest(),
                Command = "wsss-train " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            });
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
        var dataset = VocDataset.Open(root, split, options);
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
