using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Graph.Training;
using WsssOnnx.Attribution.Segmentation;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Training.Metrics;
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

    public SegmenterTrainingOptions Validate()
    {
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
public sealed record SegmenterTrainingResult(IReadOnlyList<EpochMetrics> Epochs, IReadOnlyList<string> Problems, ParameterStore Parameters, DeepLabOptions Network);

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

    /// <summary>Computes the validation metric (name, value) for the current parameters; null: none.</summary>
    public Func<ParameterStore, DeepLabOptions, (string Name, double Value)>? Validation { get; init; }

    /// <summary>Validation by mIoU against the ground-truth masks of <paramref name="source"/>, on full-size images.</summary>
    public static Func<ParameterStore, DeepLabOptions, (string Name, double Value)> MeanIoUOn(ITrainingSource source, ImageNormalization normalization, int threads) =>
        (parameters, network) =>
        {
            var g = new GraphBuilder("segmenter_eval");
            var image = g.Input("image", DataType.Float, [1, 3, -1, -1]);
            var net = DeepLabSegmenter.Build(g, image, network.WithBatchNormMode(BatchNormMode.Frozen));
            g.Output(net.Scores, SegmenterContract.Scores);
            using var bound = new ParameterBoundSession(g, parameters, threads);
            var matrix = SegmentationEvaluation.Evaluate(new SegmentationPredictor(bound.Session, normalization, bound.ParameterInputs), source);
            return ("val_miou", matrix.MeanIntersectionOverUnion);
        };

    /// <summary>The network trained here: the dataset's classes plus background.</summary>
    public DeepLabOptions NetworkOptions => options.Network with { Classes = train.Classes.Count + 1 };

    public SegmenterTrainingResult Train(bool resume = true, int? stopAfterEpoch = null, CancellationToken cancellation = default)
    {
        options.Validate();
        var network = NetworkOptions;
        int crop = options.Augmentation.CropSize, batch = options.Sgd.BatchSize;
        var g = new GraphBuilder("segmenter_train");
        var image = g.Input("image", DataType.Float, [batch, 3, crop, crop]);
        var labels = g.Input("labels", DataType.Int64, [batch, crop, crop]);
        var net = DeepLabSegmenter.Build(g, image, network);
        var scores = g.ResizeBilinear(net.Scores, crop, crop);
        var spec = TrainingGraph.Append(g, Losses.CrossEntropy(g, scores, labels), net.RunningStatUpdates);
        var parameters = new ParameterStore(g);
        if (InitialWeights is not null) TrainingLoop.LoadInitialWeights(parameters, InitialWeights, options.Sgd.Epochs, Progress);

        var loop = new TrainingLoop(options.Sgd with { BatchSize = batch }, train, runDirectory, Progress);
        var task = new Task(this, network, HostTensor<float>.Zeros(batch, 3, crop, crop), HostTensor<long>.Zeros(batch, crop, crop));
        var history = loop.Run(g, spec, parameters, task, resume, stopAfterEpoch, cancellation);
        return new SegmenterTrainingResult(history, loop.Problems, parameters, network);
    }

    private sealed class Task(SegmenterTrainer owner, DeepLabOptions network, HostTensor<float> images, HostTensor<long> labels) : ITrainingTask
    {
        public string HeadPrefix => "aspp.";

        public IReadOnlyList<(string Name, HostTensor<float>? Float, HostTensor<long>? Int)> BatchInputs { get; } = [("image", images, null), ("labels", null, labels)];

        public bool NeedsMask => true;

        public void Fill(TrainingSample sample, Random rng, int slot, IReadOnlyList<Array> stage)
        {
            var augmentation = owner.Options.Augmentation;
            int plane = augmentation.CropSize * augmentation.CropSize;
            var mask = sample.Mask ?? throw new InvalidDataException($"{sample.Id}: no label map to train the segmenter on");
            augmentation.Apply(sample.Image, mask, rng, ((float[])stage[0]).AsSpan(slot * 3 * plane, 3 * plane), ((long[])stage[1]).AsSpan(slot * plane, plane));
        }

        public (string Name, double Value)? Validate(ParameterStore parameters, List<string> problems, CancellationToken cancellation) =>
            owner.Validation?.Invoke(parameters, network);
    }

    private SegmenterTrainingOptions Options => options;
}
