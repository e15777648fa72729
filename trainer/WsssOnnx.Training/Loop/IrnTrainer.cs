using WsssOnnx.Attribution.RandomWalk;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Graph.Training;
using WsssOnnx.Packages;
using WsssOnnx.Training.Data;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Training.Loop;

/// <summary>
/// Settings of a boundary-network run; defaults are IRN's (step/train_irn.py, run_sample.py): 3 epochs, lr 0.1 with
/// poly decay, plain SGD (IRN's PolyOptimizer has no momentum), weight decay 1e-4, pairs within radius 10 at stride 4,
/// rescale and flip without colour jitter.
/// </summary>
public sealed record IrnTrainingOptions
{
    public BoundaryNetworkOptions Network { get; init; } = new();

    public Augmentation Augmentation { get; init; } = new() { CropSize = 176, LongSide = (132, 242), ColourJitter = 0f };

    /// <summary>IRN's recipe: 3 epochs of 8 crops at lr 0.1, no momentum, weight decay 1e-4; one rate for every parameter.</summary>
    public static SgdSettings DefaultSgd { get; } = new() { Epochs = 3, BatchSize = 8, LearningRate = 0.1f, Momentum = 0f };

    public SgdSettings Sgd { get; init; } = DefaultSgd;

    /// <summary>Pairs within this radius on the stride-4 grid are labelled (IRN: 10).</summary>
    public int Radius { get; init; } = 10;

    public IrnTrainingOptions Validate()
    {
        Sgd.Validate();
        if (Radius is < 2 or > 24) throw new ArgumentException($"Radius must be between 2 and 24; got {Radius}", nameof(Radius));
        Augmentation.Validate();
        Network.Validate();
        return this;
    }
}

/// <summary>Outcome of a boundary-network run.</summary>
public sealed record IrnTrainingResult(IReadOnlyList<EpochMetrics> Epochs, IReadOnlyList<string> Problems, ParameterStore Parameters, BoundaryNetworkOptions Network);

/// <summary>
/// Trains IRN's class-boundary branch on confident label maps (255 = unsure) with the affinity loss; the backbone is
/// frozen and must be initialised (from the classifier of a package, or ImageNet). Same loop as the other trainers.
/// </summary>
public sealed class IrnTrainer(IrnTrainingOptions options, ITrainingSource train, string runDirectory)
{
    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>The frozen backbone's weights: name -> tensor (torchvision names); every backbone parameter must be among them.</summary>
    public required IReadOnlyDictionary<string, HostTensor<float>> BackboneWeights { get; init; }

    public IrnTrainingResult Train(bool resume = true, int? stopAfterEpoch = null, CancellationToken cancellation = default)
    {
        options.Validate();
        int crop = options.Augmentation.CropSize, batch = options.Sgd.BatchSize, grid = AffinityLabels.GridSize(crop);
        var paths = AffinityPaths.Of(options.Radius);
        int directions = paths.Directions.Count;
        var g = new GraphBuilder("irn_train");
        var image = g.Input("image", DataType.Float, [batch, 3, crop, crop]);
        long[] maskShape = [batch, directions, grid, grid];
        var bg = g.Input("positive_background", DataType.Float, maskShape);
        var fg = g.Input("positive_foreground", DataType.Float, maskShape);
        var neg = g.Input("negative", DataType.Float, maskShape);
        var net = BoundaryNetwork.Build(g, image, options.Network);
        var loss = AffinityLoss.Build(g, net.Logits, bg, fg, neg, [.. paths.Directions.Select(d => d.Path)]);
        var spec = TrainingGraph.Append(g, loss, net.Backbone.RunningStatUpdates); // empty: the backbone is frozen
        var parameters = new ParameterStore(g);
        LoadBackbone(parameters);

        var loop = new TrainingLoop(options.Sgd with { BatchSize = batch, HeadLearningRateMultiplier = 1f }, train, runDirectory, Progress);
        var task = new Task(options, paths, HostTensor<float>.Zeros(batch, 3, crop, crop),
            HostTensor<float>.Zeros(maskShape), HostTensor<float>.Zeros(maskShape), HostTensor<float>.Zeros(maskShape));
        var history = loop.Run(g, spec, parameters, task, resume, stopAfterEpoch, cancellation);
        return new IrnTrainingResult(history, loop.Problems, parameters, options.Network);
    }

    // A frozen backbone left at its random initialisation would train a branch on noise: every backbone weight must load.
    private void LoadBackbone(ParameterStore parameters)
    {
        var missing = parameters.Tensors.Keys.Where(k => !k.StartsWith(BoundaryNetwork.ParameterPrefix, StringComparison.Ordinal)
            && !(BackboneWeights.TryGetValue(k, out var t) && t.Shape.SequenceEqual(parameters.Tensors[k].Shape))).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"the backbone weights do not fit this network: {missing.Count} parameters are missing or differ in shape " +
                $"(first: {missing[0]}); give the package or weights the network was trained with");
        parameters.Load(BackboneWeights.Where(kv => parameters.Tensors.ContainsKey(kv.Key)).ToDictionary());
        Progress?.Report(new TrainingProgress(0, options.Sgd.Epochs, 0, 0, double.NaN, 0, TimeSpan.Zero,
            $"frozen backbone: {parameters.Tensors.Count(kv => !kv.Key.StartsWith(BoundaryNetwork.ParameterPrefix, StringComparison.Ordinal))} tensors loaded"));
    }

    private sealed class Task(IrnTrainingOptions options, AffinityPaths paths, HostTensor<float> images, HostTensor<float> bg, HostTensor<float> fg, HostTensor<float> neg) : ITrainingTask
    {
        public string HeadPrefix => BoundaryNetwork.ParameterPrefix;

        public IReadOnlyList<(string Name, HostTensor<float>? Float, HostTensor<long>? Int)> BatchInputs { get; } =
            [("image", images, null), ("positive_background", bg, null), ("positive_foreground", fg, null), ("negative", neg, null)];

        public bool NeedsMask => true;

        public void Fill(TrainingSample sample, Random rng, int slot, IReadOnlyList<Array> stage)
        {
            int crop = options.Augmentation.CropSize, plane = crop * crop;
            int pairs = (int)(bg.Data.Length / bg.Shape[0]);
            var mask = sample.Mask ?? throw new InvalidDataException($"{sample.Id}: no confident label map to train the boundary network on");
            var labels = new long[plane];
            options.Augmentation.Apply(sample.Image, mask, rng, ((float[])stage[0]).AsSpan(slot * 3 * plane, 3 * plane), labels);
            AffinityLabels.Fill(labels, crop, paths, ((float[])stage[1]).AsSpan(slot * pairs, pairs),
                ((float[])stage[2]).AsSpan(slot * pairs, pairs), ((float[])stage[3]).AsSpan(slot * pairs, pairs));
        }

        public (string Name, double Value)? Validate(ParameterStore parameters, List<string> problems, CancellationToken cancellation) => null;
    }
}
