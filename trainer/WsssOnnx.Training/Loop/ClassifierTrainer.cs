using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Graph.Training;
using WsssOnnx.Packages;
using WsssOnnx.Training.Metrics;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Training.Loop;

/// <summary>Settings of a classifier run. Defaults suit the small CPU network trained from scratch on the synthetic set.</summary>
public sealed record ClassifierTrainingOptions
{
    /// <summary>The network; its class count is taken from the dataset.</summary>
    public CamClassifierOptions Network { get; init; } = new()
    {
        Backbone = new ResNetOptions
        {
            Depth = 18,
            Width = 16,
            TrainableStages = ResNetStages.All,
            BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Training },
        },
    };

    public Augmentation Augmentation { get; init; } = new();

    /// <summary>12 epochs of 16 images at lr 0.05, the head at 10x as IRN's classifier.</summary>
    public static SgdSettings DefaultSgd { get; } = new() { Epochs = 12, BatchSize = 16, LearningRate = 0.05f, HeadLearningRateMultiplier = 10f };

    public SgdSettings Sgd { get; init; } = DefaultSgd;

    /// <summary>ECS-Net's erased-CAM supervision added to the classification loss; null: plain CAM training.</summary>
    public ErasedCamSupervisionOptions? Ecs { get; init; }

    /// <summary>FGSM adversarial training (a robust classifier for AdvCAM to climb); null: trained on the clean crops only.</summary>
    public FgsmTrainingOptions? Fgsm { get; init; }

    public ClassifierTrainingOptions Validate()
    {
        Sgd.Validate();
        Augmentation.Validate();
        Network.Validate();
        Ecs?.Validate();
        // ECS supervises the one-head CAM; ACoL's two heads are another localiser: one at a time.
        if (Ecs is not null && Network.Acol is not null)
            throw new ArgumentException("ECS (--ecs) and ACoL (--acol) are different ways to train the localiser: give one", nameof(Ecs));
        Fgsm?.Validate();
        // Adversarial training replaces the loss's image; ECS and ACoL build their second pass on the clean one.
        if (Fgsm is not null && (Ecs is not null || Network.Acol is not null))
            throw new ArgumentException("FGSM adversarial training (--fgsm-epsilon) trains plain CAM classifiers: give it without --ecs or --acol", nameof(Fgsm));
        return this;
    }
}

/// <summary>What a finished (or stopped) run leaves: per-epoch metrics, problems met, and the trained parameters.</summary>
public sealed record TrainingResult(IReadOnlyList<EpochMetrics> Epochs, IReadOnlyList<string> Problems, ParameterStore Parameters, CamClassifierOptions Network);

/// <summary>
/// Trains the CAM classifier (multi-label soft margin loss, SGD with momentum and weight decay, poly schedule with a
/// 10x head rate, IRN's augmentation) on ONNX Runtime with our gradient graphs. Checkpoints every epoch into the run
/// folder and resumes from there; deterministic for a given seed and thread count.
/// </summary>
public sealed class ClassifierTrainer(ClassifierTrainingOptions options, ITrainingSource train, ITrainingSource? validation, string runDirectory)
{
    private readonly ClassifierTrainingOptions _options = options;
    private readonly ITrainingSource? _validation = validation;

    public const string CheckpointFile = TrainingLoop.CheckpointFile;

    /// <summary>Metrics columns of an ECS run: the original image's soft margin loss, ECS's reliable-pixel cross-entropy, the erased image's soft margin loss.</summary>
    public const string ClassificationTerm = "classification_loss", EcsTerm = "ecs_loss", ErasedClassificationTerm = "erased_classification_loss";

    /// <summary>Metrics columns of an FGSM run: the soft margin loss at the random start and at the adversarial image (the one trained).</summary>
    public const string FgsmStartTerm = "start_classification_loss", FgsmAdversarialTerm = "adversarial_classification_loss";

    /// <summary>The graph input of an FGSM run that carries delta_0, drawn on the host in [-epsilon, epsilon].</summary>
    public const string FgsmStartInput = "fgsm_start";

    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>Initial weights to load (e.g. from a pretrained ONNX ResNet): name -> tensor; names that match are loaded.</summary>
    public IReadOnlyDictionary<string, HostTensor<float>>? InitialWeights { get; init; }

    public CamClassifierOptions NetworkOptions => _options.Network with { Classes = train.Classes.Count };

    public TrainingResult Train(bool resume = true, int? stopAfterEpoch = null, CancellationToken cancellation = default)
    {
        _options.Validate();
        var network = NetworkOptions;
        int crop = _options.Augmentation.CropSize, batch = _options.Sgd.BatchSize;

        var g = new GraphBuilder("classifier_train");
        var image = g.Input("image", DataType.Float, [batch, 3, crop, crop]);
        var labels = g.Input("labels", DataType.Float, [batch, network.Classes]);
        var fgsm = _options.Fgsm;
        var start = fgsm is not null ? g.Input(FgsmStartInput, DataType.Float, [batch, 3, crop, crop]) : null;
        var startPoint = start is null ? image : image + start;
        var net = CamClassifier.Build(g, startPoint, network);
        var classification = Losses.MultiLabelSoftMargin(g, net.Logits, labels);
        var loss = classification;
        var terms = new List<(string, Value)>();
        if (fgsm is not null && start is not null)
        {
            var adversarial = FastAdversarialExample.Build(g, image, start, startPoint, classification, fgsm.Epsilon);
            CamClassifier adversarialNet;
            using (g.ShareParameters())
                adversarialNet = CamClassifier.Build(g, adversarial, network);
            var adversarialLoss = Losses.MultiLabelSoftMargin(g, adversarialNet.Logits, labels);
            float alpha = fgsm.CleanWeight;
            loss = alpha > 0 ? classification * alpha + adversarialLoss * (1 - alpha) : adversarialLoss;
            terms.AddRange([(FgsmStartTerm, classification), (FgsmAdversarialTerm, adversarialLoss)]);
        }
        if (_options.Ecs is { } ecs)
        {
            var supervision = ErasedCamSupervision.Build(g, net, labels, ecs);
            loss += supervision.Objective;
            // Unweighted, so that runs with other weights compare: loss = classification + w ecs + w_erased erased_classification.
            terms.AddRange([(ClassificationTerm, classification), (EcsTerm, supervision.Loss), (ErasedClassificationTerm, supervision.ErasedClassificationLoss)]);
        }
        // ACoL: head B's loss on the features erased by the labelled classes' head-A maps, summed with head A's (the paper's L_A + L_B).
        if (net.ErasingHead is not null) loss += Losses.MultiLabelSoftMargin(g, net.ErasedLogits(g, labels), labels);
        var spec = TrainingGraph.Append(g, loss, net.RunningStatUpdates, terms);
        var parameters = new ParameterStore(g);
        if (InitialWeights is not null) TrainingLoop.LoadInitialWeights(parameters, InitialWeights, _options.Sgd.Epochs, Progress);

        var loop = new TrainingLoop(Loop(), train, runDirectory, Progress);
        var task = new Task(this, network, HostTensor<float>.Zeros(batch, 3, crop, crop), HostTensor<float>.Zeros(batch, network.Classes),
            start is null ? null : HostTensor<float>.Zeros(batch, 3, crop, crop));
        var history = loop.Run(g, spec, parameters, task, resume, stopAfterEpoch, cancellation);
        return new TrainingResult(history, loop.Problems, parameters, network);
    }

    private SgdSettings Loop() => _options.Sgd;

    private sealed class Task(ClassifierTrainer owner, CamClassifierOptions network, HostTensor<float> images, HostTensor<float> labels, HostTensor<float>? fgsmStart) : ITrainingTask
    {
        public string HeadPrefix => "classifier.";

        public IReadOnlyList<(string Name, HostTensor<float>? Float, HostTensor<long>? Int)> BatchInputs { get; } =
            fgsmStart is null ? [("image", images, null), ("labels", labels, null)] : [("image", images, null), ("labels", labels, null), (FgsmStartInput, fgsmStart, null)];

        public bool NeedsMask => false;

        public void Fill(TrainingSample sample, Random rng, int slot, IReadOnlyList<Array> stage)
        {
            int size = 3 * owner._options.Augmentation.CropSize * owner._options.Augmentation.CropSize;
            owner._options.Augmentation.Apply(sample.Image, rng, ((float[])stage[0]).AsSpan(slot * size, size));
            sample.Labels.CopyTo((float[])stage[1], slot * network.Classes);
            if (fgsmStart is null) return;
            // delta_0 ~ U(-epsilon, epsilon), drawn after the augmentation so that runs without FGSM draw what they always drew.
            float epsilon = owner._options.Fgsm!.Epsilon;
            var delta = ((float[])stage[2]).AsSpan(slot * size, size);
            for (int i = 0; i < delta.Length; i++) delta[i] = (float)((2 * rng.NextDouble() - 1) * epsilon);
        }

        public (string Name, double Value)? Validate(ParameterStore parameters, List<string> problems, CancellationToken cancellation) =>
            owner._validation is null ? null : ("val_map", owner.ValidationMap(parameters, network, owner._validation, problems, cancellation));
    }

    /// <summary>Mean average precision of the current weights on full-size validation images (no augmentation).</summary>
    private double ValidationMap(ParameterStore parameters, CamClassifierOptions network, ITrainingSource source, List<string> problems, CancellationToken cancellation)
    {
        using var evaluator = new ClassifierEvaluator(network, parameters, _options.Sgd.Threads);
        var scores = new List<float[]>();
        var truth = new List<float[]>();
        for (int i = 0; i < source.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            TrainingSample sample;
            try
            {
                sample = source.Load(i);
            }
            catch (Exception e) when (!_options.Sgd.StopOnBadSample && e is not OperationCanceledException)
            {
                problems.Add($"{source.IdOf(i)}: {e.Message}");
                continue;
            }
            scores.Add(evaluator.Logits(sample.Image, _options.Augmentation.Normalization));
            truth.Add(sample.Labels);
        }
        return AveragePrecision.Mean(scores, truth);
    }
}
