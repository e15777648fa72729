using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Graph.Training;
using WsssOnnx.Attribution.Evaluation;
using WsssOnnx.Attribution.Segmentation;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Training.Metrics;
using WsssOnnx.Training.Seeding;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Training.Loop;

/// <summary>Settings of a segmenter run; defaults suit the small dilated ResNet-18 trained from scratch on CPU.</summary>
public sealed record SegmenterTrainingOptions
{
    public DeepLabOptions Network { get; init; } = new()
    {
        Backbone = new ResNetOptions
        {
            Depth = 18,
            Width = 16,
            Layout = ResNetLayout.DilatedOutputStride8,
            TrainableStages = ResNetStages.All,
            BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Training },
        },
    };

    public Augmentation Augmentation { get; init; } = new() { ColourJitter = 0.1f };

    /// <summary>12 epochs of 8 crops at lr 0.02, weight decay 5e-4 (DeepLab's), the ASPP head at the backbone's rate.</summary>
    public static SgdSettings DefaultSgd { get; } = new()
    {
        Epochs = 12,
        BatchSize = 8,
        LearningRate = 0.02f,
        HeadLearningRateMultiplier = FromScratchHeadLearningRateMultiplier,
        WeightDecay = 5e-4f,
    };

    public SgdSettings Sgd { get; init; } = DefaultSgd;

    /// <summary>
    /// The ASPP head's rate relative to the backbone's from scratch. DeepLab uses 10 with a pretrained backbone; from
    /// scratch at 176 px crops, 10 with lr 0.01–0.05 blew the loss up in the first epoch and left a network that
    /// predicts background everywhere, while 1 trains (docs/training.md, bundled model v2), hence the default.
    /// </summary>
    public const float FromScratchHeadLearningRateMultiplier = 1f;

    /// <summary>SEC's or DSRG's losses and their settings; null: pixel cross-entropy on the pseudo-labels.</summary>
    public SegmenterLossOptions? Loss { get; init; }

    /// <summary>Hung et al.'s adversarial training beside the cross-entropy (<see cref="SegmenterTrainer.UsesGroundTruth"/> says which images have ground truth); null: none.</summary>
    public AdversarialTrainingOptions? Adversarial { get; init; }

    public SegmenterTrainingOptions Validate()
    {
        Loss?.Validate();
        Adversarial?.Validate();
        if (Adversarial is not null && Loss is not null)
            throw new ArgumentException($"adversarial training adds to pixel cross-entropy; it does not combine with the {Loss.Loss} loss", nameof(Adversarial));
        Sgd.Validate();
        // DeepLab-v3's image-pooling branch normalises one value per image and channel: batch statistics need two images.
        if (Network.Head == DeepLabHead.DeepLabV3 && Network.HeadBatchNormMode == BatchNormMode.Training && Sgd.BatchSize < 2)
            throw new ArgumentException($"BatchSize must be 2 or more with the DeepLab-v3 head (its image-pooling branch normalises over the batch); got {Sgd.BatchSize}", nameof(Sgd.BatchSize));
        Augmentation.Validate();
        Network.Validate();
        return this;
    }
}

/// <summary>Outcome of a segmenter run.</summary>
public sealed record SegmenterTrainingResult(IReadOnlyList<EpochMetrics> Epochs, IReadOnlyList<string> Problems, ParameterStore Parameters, DeepLabOptions Network)
{
    /// <summary>An adversarial run's discriminator as it ended (not exported); null otherwise.</summary>
    public ParameterStore? Discriminator { get; init; }
}

/// <summary>
/// Trains the DeepLab-style segmenter on (pseudo-)label maps: scores at stride 8 are upsampled bilinearly to the crop
/// and scored by pixel cross-entropy with 255 ignored; same loop as the classifier (SGD, poly, checkpoints, resume).
/// Validation: mIoU against ground-truth masks, through <see cref="Validation"/>.
/// </summary>
public sealed class SegmenterTrainer(SegmenterTrainingOptions options, ITrainingSource train, string runDirectory)
{
    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>Initial weights (e.g. an ImageNet backbone): name -> tensor; names and shapes that match are loaded.</summary>
    public IReadOnlyDictionary<string, HostTensor<float>>? InitialWeights { get; init; }

    /// <summary>Whether a training image (by id) trains on its ground-truth mask; adversarial training needs it (its real examples, its weights).</summary>
    public Func<string, bool>? UsesGroundTruth { get; init; }

    /// <summary>Computes the validation metric (name, value) for the current parameters; null: none.</summary>
    public Func<ParameterStore, DeepLabOptions, (string Name, double Value)>? Validation { get; init; }

    /// <summary>Validation by mIoU against the ground-truth masks of <paramref name="source"/>, on full-size images.</summary>
    public static Func<ParameterStore, DeepLabOptions, (string Name, double Value)> MeanIoUOn(ITrainingSource source, ImageNormalization normalization, int threads) =>
        (parameters, network) => ("val_miou", ConfusionOn(source, normalization, threads)(parameters, network).MeanIntersectionOverUnion);

    /// <summary>The confusion matrix of the segmenter's predictions against the ground-truth masks of <paramref name="source"/> (full-size images, batch norm frozen).</summary>
    public static Func<ParameterStore, DeepLabOptions, ConfusionMatrix> ConfusionOn(ITrainingSource source, ImageNormalization normalization, int threads) =>
        (parameters, network) =>
        {
            var g = new GraphBuilder("segmenter_eval");
            var image = g.Input("image", DataType.Float, [1, 3, -1, -1]);
            var net = DeepLabSegmenter.Build(g, image, network.WithBatchNormMode(BatchNormMode.Frozen));
            g.Output(net.Scores, SegmenterContract.Scores);
            using var bound = new ParameterBoundSession(g, parameters, threads);
            return SegmentationEvaluation.Evaluate(new SegmentationPredictor(bound.Session, normalization, bound.ParameterInputs), source);
        };

    /// <summary>The network trained here: the dataset's classes plus background.</summary>
    public DeepLabOptions NetworkOptions => options.Network with { Classes = train.Classes.Count + 1 };

    /// <summary>The loss terms of SEC and DSRG logged per epoch (metrics.csv/jsonl columns; DSRG has no expansion term).</summary>
    public const string SeedingTerm = "seeding_loss", ExpansionTerm = "expansion_loss", ConstrainTerm = "constrain_loss";

    public SegmenterTrainingResult Train(bool resume = true, int? stopAfterEpoch = null, CancellationToken cancellation = default)
    {
        options.Validate();
        var network = NetworkOptions;
        int crop = options.Augmentation.CropSize, batch = options.Sgd.BatchSize;
        var g = new GraphBuilder("segmenter_train");
        var image = g.Input("image", DataType.Float, [batch, 3, crop, crop]);
        var labels = g.Input("labels", DataType.Int64, [batch, crop, crop]);
        var net = DeepLabSegmenter.Build(g, image, network);
        var images = HostTensor<float>.Zeros(batch, 3, crop, crop);
        var cropLabels = HostTensor<long>.Zeros(batch, crop, crop);
        if (options.Loss is { } seedLoss) return TrainWithSeedLosses(g, net, seedLoss, images, cropLabels, resume, stopAfterEpoch, cancellation);
        if (options.Adversarial is { } adversarial) return TrainAdversarially(g, net, labels, adversarial, images, cropLabels, resume, stopAfterEpoch, cancellation);

        var scores = g.ResizeBilinear(net.Scores, crop, crop);
        var spec = TrainingGraph.Append(g, Losses.CrossEntropy(g, scores, labels), net.RunningStatUpdates);
        var parameters = new ParameterStore(g);
        if (InitialWeights is not null) TrainingLoop.LoadInitialWeights(parameters, InitialWeights, options.Sgd.Epochs, Progress);

        var loop = new TrainingLoop(options.Sgd with { BatchSize = batch }, train, runDirectory, Progress);
        var task = new Task(this, network, images, cropLabels);
        var history = loop.Run(g, spec, parameters, task, resume, stopAfterEpoch, cancellation);
        return new SegmenterTrainingResult(history, loop.Problems, parameters, network);
    }

    /// <summary>
    /// SEC or DSRG: the losses at the score map's resolution (as both papers), on log P = the log-softmax (not the log of
    /// the papers' floored softmax, whose slope vanishes on a collapsed network: <see cref="SeedLosses"/>), with the seed
    /// labels and the CRF target computed before every step by <see cref="SeedSupervision"/> and fed as inputs.
    /// SEC: seeding + w (expansion (image labels from the annotations) + constrain); DSRG: balanced seeding on the grown
    /// seeds + w constrain with the ratio clipped; w ramps from 0 to 1 over <see cref="SegmenterLossOptions.WarmupEpochs"/>.
    /// </summary>
    private SegmenterTrainingResult TrainWithSeedLosses(GraphBuilder g, DeepLabSegmenter net, SegmenterLossOptions loss, HostTensor<float> images,
        HostTensor<long> cropLabels, bool resume, int? stopAfterEpoch, CancellationToken cancellation)
    {
        var network = net.Options;
        int batch = (int)images.Shape[0], foreground = network.Classes - 1;
        long h = net.Scores.Shape[2], w = net.Scores.Shape[3];
        var seedLabels = g.Input("seed_labels", DataType.Int64, [batch, h, w]);
        var imageLabels = g.Input("image_labels", DataType.Float, [batch, foreground]);
        var crfTarget = g.Input("crf_target", DataType.Float, [batch, network.Classes, h, w]);
        var logP = SeedLosses.LogProbabilities(g, net.Scores);
        var constrain = SeedLosses.Constrain(g, logP, crfTarget, loss.ConstrainRatioRange);
        var seeding = SeedLosses.Seeding(g, logP, seedLabels, balanced: loss.Loss == SegmenterLoss.Dsrg);
        var terms = new List<(string, Value)> { (SeedingTerm, seeding), (ConstrainTerm, constrain) };
        // loss = seeding + w (expansion + constrain), w the warm-up weight fed per step (SegmenterLossOptions.WarmupEpochs).
        var warmup = g.ReduceSum(g.Input("warmup_weight", DataType.Float, [1]), [0], keepDims: false);
        var beyondSeeding = constrain;
        if (loss.Loss == SegmenterLoss.Sec)
        {
            var expansion = SeedLosses.Expansion(g, logP, imageLabels, loss.ForegroundDecay, loss.BackgroundDecay);
            beyondSeeding = expansion + constrain;
            terms.Insert(1, (ExpansionTerm, expansion));
        }
        var total = seeding + warmup * beyondSeeding;
        var spec = TrainingGraph.Append(g, total, net.RunningStatUpdates, terms);
        var parameters = new ParameterStore(g);
        if (InitialWeights is not null) TrainingLoop.LoadInitialWeights(parameters, InitialWeights, options.Sgd.Epochs, Progress);

        var imageLabelBatch = HostTensor<float>.Zeros(batch, foreground);
        int warmupSteps = (int)Math.Round(loss.WarmupEpochs * TrainingLoop.StepsPerEpoch(train.Count, batch));
        using var supervision = new SeedSupervision(loss, network, options.Augmentation.Normalization, options.Sgd.Threads, images, cropLabels, imageLabelBatch, h, w,
            warmupSteps);
        var loop = new TrainingLoop(options.Sgd with { BatchSize = batch }, train, runDirectory, Progress);
        var task = new Task(this, network, images, cropLabels, imageLabelBatch, supervision);
        var history = loop.Run(g, spec, parameters, task, resume, stopAfterEpoch, cancellation);
        if (supervision.Steps > 0)
        {
            double forward = supervision.ForwardTime.TotalMilliseconds / supervision.Steps, targets = supervision.TargetTime.TotalMilliseconds / supervision.Steps;
            Progress?.Report(new TrainingProgress(0, options.Sgd.Epochs, 0, 0, double.NaN, 0, TimeSpan.Zero,
                $"{loss.Loss} targets per step: forward {forward:F0} ms, CRF{(loss.Loss == SegmenterLoss.Dsrg ? " and region growing" : "")} {targets:F0} ms"));
        }
        return new SegmenterTrainingResult(history, loop.Problems, parameters, network);
    }

    /// <summary>
    /// Hung et al.'s adversarial semi-supervised training: every step the segmenter's loss is the pixel cross-entropy (on
    /// ground truth or pseudo-labels) + lambda_adv L_adv, -log D of its softmax prediction (lambda_adv 0.01 on ground-truth
    /// images, 0.001 on the others) + lambda_semi L_semi, the cross-entropy to its own argmax on the pixels of images without
    /// ground truth where D > T_semi; the discriminator, a constant here (its weights are inputs), then takes its own
    /// step on that prediction (<see cref="AdversarialSupervision"/>). All at the crop's resolution, as the official code.
    /// </summary>
    private SegmenterTrainingResult TrainAdversarially(GraphBuilder g, DeepLabSegmenter net, Value labels, AdversarialTrainingOptions adversarial,
        HostTensor<float> images, HostTensor<long> cropLabels, bool resume, int? stopAfterEpoch, CancellationToken cancellation)
    {
        var usesGroundTruth = UsesGroundTruth ?? throw new InvalidOperationException("adversarial training needs UsesGroundTruth: which images have ground-truth masks");
        var network = net.Options;
        int batch = (int)images.Shape[0], crop = options.Augmentation.CropSize;
        int totalSteps = TrainingLoop.StepsPerEpoch(train.Count, batch) * options.Sgd.Epochs;
        var groundTruthImages = Enumerable.Range(0, train.Count).Where(i => usesGroundTruth(train.IdOf(i))).ToList();

        var labelled = g.Reshape(g.Input(AdversarialDiscriminator.GroundTruth, DataType.Float, [batch]), batch, 1, 1, 1);
        var unlabelled = g.Scalar(1f) - labelled;
        var semiWeight = g.SumAll(g.Input(AdversarialSupervision.SemiWeightInput, DataType.Float, [1]));
        var scores = g.ResizeBilinear(net.Scores, crop, crop);
        var probabilities = g.Softmax(scores, 1);
        var confidence = ConfidenceDiscriminator.Build(g, probabilities, adversarial.DiscriminatorWidth, network.Seed, trainable: false);
        // The official code's L_adv leaves out the 255 pixels of ground-truth maps and counts every pixel of the others.
        var counted = labelled * AdversarialDiscriminator.Counted(g, labels) + unlabelled;
        var fooling = g.Softplus(g.Neg(confidence)); // -log D = softplus(-z)
        var adversarialLoss = AdversarialLosses.WeightedMean(g, fooling, counted);
        // sum_p lambda(p) [counted] (-log D(p)) / sum_p [counted], lambda(p) the weight of p's image
        var lambda = labelled * adversarial.AdversarialWeight + unlabelled * adversarial.UnlabelledAdversarialWeight;
        var weightedAdversarial = AdversarialLosses.WeightedMean(g, fooling * lambda, counted);
        // I(D > T_semi) on the images without ground truth only
        var confident = AdversarialLosses.ConfidenceMask(g, confidence, adversarial.SemiThreshold) * unlabelled;
        var selfTaught = AdversarialLosses.SelfTaught(g, scores, confident);
        var confidentFraction = g.SumAll(confident) / g.Clip(g.SumAll(unlabelled) * (float)(crop * crop), 1f, null);
        var crossEntropy = Losses.CrossEntropy(g, scores, labels);
        var total = crossEntropy + weightedAdversarial + semiWeight * selfTaught;
        var spec = TrainingGraph.Append(g, total, net.RunningStatUpdates,
            [("cross_entropy_loss", crossEntropy), ("adversarial_loss", adversarialLoss), ("self_taught_loss", selfTaught), ("confident_fraction", confidentFraction)]);
        g.Output(probabilities, AdversarialDiscriminator.Probabilities);
        var parameters = new ParameterStore(g);
        // The discriminator's weights are its own store's, fed as inputs; the segmenter's store and checkpoint hold its own only.
        foreach (var name in parameters.Tensors.Keys.Where(k => k.StartsWith(ConfidenceDiscriminator.ParameterPrefix, StringComparison.Ordinal)).ToList())
            parameters.Tensors.Remove(name);
        if (InitialWeights is not null) TrainingLoop.LoadInitialWeights(parameters, InitialWeights, options.Sgd.Epochs, Progress);

        var groundTruth = HostTensor<float>.Zeros(batch);
        using var supervision = new AdversarialSupervision(adversarial, network.Classes, cropLabels, groundTruth, train, options.Augmentation, groundTruthImages,
            options.Sgd.Seed, totalSteps, options.Sgd.Threads);
        Progress?.Report(new TrainingProgress(0, options.Sgd.Epochs, 0, totalSteps, double.NaN, 0, TimeSpan.Zero,
            $"adversarial training: {groundTruthImages.Count} of {train.Count} images with ground truth as the discriminator's real examples; self-taught loss from step {supervision.SemiStart}"));
        var loop = new TrainingLoop(options.Sgd with { BatchSize = batch }, train, runDirectory, Progress);
        var task = new Task(this, network, images, cropLabels, adversarial: (supervision, groundTruth, usesGroundTruth));
        var history = loop.Run(g, spec, parameters, task, resume, stopAfterEpoch, cancellation);
        return new SegmenterTrainingResult(history, loop.Problems, parameters, network) { Discriminator = supervision.Discriminator.Parameters };
    }

    /// <summary>
    /// One segmenter step's data. With <paramref name="supervision"/> (SEC, DSRG) the crop's labels are staged only, the
    /// image labels go with them, and the seed labels and CRF target are computed before each step.
    /// </summary>
    private sealed class Task(SegmenterTrainer owner, DeepLabOptions network, HostTensor<float> images, HostTensor<long> labels,
        HostTensor<float>? imageLabels = null, SeedSupervision? supervision = null,
        (AdversarialSupervision Supervision, HostTensor<float> GroundTruth, Func<string, bool> UsesGroundTruth)? adversarial = null) : ITrainingTask
    {
        public string HeadPrefix => "aspp.";

        public IReadOnlyList<(string Name, HostTensor<float>? Float, HostTensor<long>? Int)> BatchInputs { get; } = (imageLabels, adversarial) switch
        {
            ({ } l, _) => [("image", images, null), ("labels", null, labels), ("image_labels", l, null)],
            (_, { } a) => [("image", images, null), ("labels", null, labels), (AdversarialDiscriminator.GroundTruth, a.GroundTruth, null)],
            _ => [("image", images, null), ("labels", null, labels)],
        };

        public IReadOnlyList<(string Name, HostTensor<float>? Float, HostTensor<long>? Int)> StepInputs { get; } = (supervision, adversarial) switch
        {
            ({ } s, _) => [("seed_labels", null, s.SeedLabels), ("crf_target", s.CrfTarget, null), ("warmup_weight", s.WarmupWeight, null)],
            (_, { } a) => a.Supervision.StepInputs,
            _ => [],
        };

        public void BeforeStep(ParameterStore parameters, int step)
        {
            supervision?.Compute(parameters, step);
            adversarial?.Supervision.BeforeStep(step);
        }

        public IReadOnlyList<(string Name, HostTensor<float> Target)> StepOutputs { get; } =
            adversarial is { } a ? [(AdversarialDiscriminator.Probabilities, a.Supervision.Predictions)] : [];

        public IReadOnlyList<string> AfterStepTerms { get; } = adversarial is null ? [] : [AdversarialSupervision.DiscriminatorLossTerm];

        public void AfterStep(int step, Span<double> terms)
        {
            if (adversarial is { } a) terms[0] = a.Supervision.AfterStep(step);
        }

        public (IReadOnlyDictionary<string, HostTensor<float>> Tensors, IReadOnlyDictionary<string, string> State) CheckpointExtras() =>
            adversarial is { } a ? a.Supervision.Discriminator.Checkpoint() : (new Dictionary<string, HostTensor<float>>(), new Dictionary<string, string>());

        public void RestoreExtras(IReadOnlyDictionary<string, HostTensor<float>> tensors, IReadOnlyDictionary<string, string> state) =>
            adversarial?.Supervision.Discriminator.Restore(tensors, state);

        public bool NeedsMask => true;

        public void Fill(TrainingSample sample, Random rng, int slot, IReadOnlyList<Array> stage)
        {
            var augmentation = owner.Options.Augmentation;
            int plane = augmentation.CropSize * augmentation.CropSize;
            var mask = sample.Mask ?? throw new InvalidDataException($"{sample.Id}: no label map to train the segmenter on");
            augmentation.Apply(sample.Image, mask, rng, ((float[])stage[0]).AsSpan(slot * 3 * plane, 3 * plane), ((long[])stage[1]).AsSpan(slot * plane, plane));
            if (imageLabels is not null)
            {
                int foreground = (int)imageLabels.Shape[1];
                if (sample.Labels.Length != foreground)
                    throw new InvalidDataException($"{sample.Id}: {sample.Labels.Length} image labels for a segmenter of {foreground} foreground classes");
                sample.Labels.CopyTo(((float[])stage[2]).AsSpan(slot * foreground, foreground));
            }
            if (adversarial is { } a) ((float[])stage[2])[slot] = a.UsesGroundTruth(sample.Id) ? 1f : 0f;
        }

        public (string Name, double Value)? Validate(ParameterStore parameters, List<string> problems, CancellationToken cancellation) =>
            owner.Validation?.Invoke(parameters, network);
    }

    private SegmenterTrainingOptions Options => options;
}
