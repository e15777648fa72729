using System.Diagnostics;
using System.Globalization;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Graph.Training;
using WsssOnnx.Runtime;
using WsssOnnx.Training.Metrics;
using WsssOnnx.Training.Optim;
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

    public int Epochs { get; init; } = 12;

    public int BatchSize { get; init; } = 16;

    /// <summary>Backbone learning rate at step 0 (poly schedule, power 0.9).</summary>
    public float LearningRate { get; init; } = 0.05f;

    /// <summary>The classifier head's rate relative to the backbone's (IRN: 10).</summary>
    public float HeadLearningRateMultiplier { get; init; } = 10f;

    public float Momentum { get; init; } = 0.9f;

    public float WeightDecay { get; init; } = 1e-4f;

    public int Seed { get; init; }

    /// <summary>ORT intra-op threads (0: one per core).</summary>
    public int Threads { get; init; }

    /// <summary>Stop at the first sample that cannot be read, instead of skipping it (and reporting it).</summary>
    public bool StopOnBadSample { get; init; }

    public ClassifierTrainingOptions Validate()
    {
        if (Epochs is < 1 or > 10000) throw new ArgumentException($"Epochs must be between 1 and 10000; got {Epochs}", nameof(Epochs));
        if (BatchSize is < 1 or > 4096) throw new ArgumentException($"BatchSize must be between 1 and 4096; got {BatchSize}", nameof(BatchSize));
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw new ArgumentException($"LearningRate must be a positive number; got {LearningRate}", nameof(LearningRate));
        if (!(HeadLearningRateMultiplier > 0)) throw new ArgumentException($"HeadLearningRateMultiplier must be positive; got {HeadLearningRateMultiplier}", nameof(HeadLearningRateMultiplier));
        if (Threads is < 0 or > 1024) throw new ArgumentException($"Threads must be between 0 and 1024; got {Threads}", nameof(Threads));
        Augmentation.Validate();
        Network.Validate();
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
    public const string CheckpointFile = "checkpoint.onnx";

    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>Initial weights to load (e.g. from a pretrained ONNX ResNet): name -> tensor; names that match are loaded.</summary>
    public IReadOnlyDictionary<string, HostTensor<float>>? InitialWeights { get; init; }

    public CamClassifierOptions NetworkOptions => options.Network with { Classes = train.Classes.Count };

    public TrainingResult Train(bool resume = true, int? stopAfterEpoch = null, CancellationToken cancellation = default)
    {
        options.Validate();
        if (train.Count < options.BatchSize)
            throw new ArgumentException($"the training set has {train.Count} images, fewer than one batch of {options.BatchSize}");
        var network = NetworkOptions;
        int classes = network.Classes, crop = options.Augmentation.CropSize, batch = options.BatchSize;

        var g = new GraphBuilder("classifier_train");
        var image = g.Input("image", DataType.Float, [batch, 3, crop, crop]);
        var labels = g.Input("labels", DataType.Float, [batch, classes]);
        var net = CamClassifier.Build(g, image, network);
        var spec = TrainingGraph.Append(g, Losses.MultiLabelSoftMargin(g, net.Logits, labels), net.RunningStatUpdates);
        var parameters = new ParameterStore(g);
        if (InitialWeights is not null) LoadInitialWeights(parameters);

        var optimizer = new SgdMomentum(options.Momentum, options.WeightDecay);
        var log = new MetricsLog(runDirectory);
        var history = new List<EpochMetrics>();
        var problems = new List<string>();
        int stepsPerEpoch = train.Count / batch; // the last partial batch is dropped, as IRN's loader does
        int totalSteps = stepsPerEpoch * options.Epochs;
        var schedule = new PolyLearningRate(options.LearningRate, totalSteps);
        int firstEpoch = 0;
        string checkpoint = Path.Combine(runDirectory, CheckpointFile);
        if (resume && File.Exists(checkpoint))
        {
            var (velocity, state) = parameters.LoadCheckpoint(checkpoint);
            optimizer.Restore(velocity);
            firstEpoch = int.Parse(state["epochs_done"], CultureInfo.InvariantCulture);
            log.TruncateAfter(firstEpoch);
            Progress?.Report(new TrainingProgress(firstEpoch, options.Epochs, firstEpoch * stepsPerEpoch, totalSteps, double.NaN, 0, TimeSpan.Zero, $"resumed from {checkpoint} after epoch {firstEpoch}"));
        }

        var batchImages = HostTensor<float>.Zeros(batch, 3, crop, crop);
        var batchLabels = HostTensor<float>.Zeros(batch, classes);
        using var stepper = new GraphStepper(g, spec, parameters, [("image", batchImages, null), ("labels", batchLabels, null)], options.Threads);
        var watch = Stopwatch.StartNew();
        int stepsRun = 0;

        for (int epoch = firstEpoch; epoch < options.Epochs; epoch++)
        {
            var epochWatch = Stopwatch.StartNew();
            var order = SampleSeed.Permutation(options.Seed, epoch, train.Count);
            double lossSum = 0;
            var staged = Task.Run(() => FillBatch(order, 0, epoch, problems));
            for (int s = 0; s < stepsPerEpoch; s++)
            {
                cancellation.ThrowIfCancellationRequested();
                var (images, targets) = staged.GetAwaiter().GetResult();
                images.CopyTo(batchImages.Data, 0);
                targets.CopyTo(batchLabels.Data, 0);
                if (s + 1 < stepsPerEpoch)
                {
                    int next = s + 1;
                    staged = Task.Run(() => FillBatch(order, next, epoch, problems));
                }
                int step = epoch * stepsPerEpoch + s;
                float lr = schedule.At(step);
                float loss = stepper.Step(optimizer, name => name.StartsWith("classifier.", StringComparison.Ordinal) ? lr * options.HeadLearningRateMultiplier : lr);
                lossSum += loss;
                stepsRun++;
                double rate = stepsRun * batch / watch.Elapsed.TotalSeconds;
                var remaining = TimeSpan.FromSeconds((totalSteps - step - 1) * batch / Math.Max(rate, 1e-9));
                Progress?.Report(new TrainingProgress(epoch + 1, options.Epochs, step + 1, totalSteps, loss, rate, remaining));
            }

            double? map = validation is null ? null : ValidationMap(parameters, network, validation, problems, cancellation);
            var metrics = new EpochMetrics(epoch + 1, (epoch + 1) * stepsPerEpoch, lossSum / stepsPerEpoch, map, "val_map",
                stepsPerEpoch * batch / epochWatch.Elapsed.TotalSeconds, epochWatch.Elapsed.TotalSeconds, schedule.At((epoch + 1) * stepsPerEpoch - 1));
            history.Add(metrics);
            log.Append(metrics);
            parameters.SaveCheckpoint(checkpoint, optimizer.Velocity, new Dictionary<string, string>
            {
                ["epochs_done"] = (epoch + 1).ToString(CultureInfo.InvariantCulture),
                ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            });
            Progress?.Report(new TrainingProgress(epoch + 1, options.Epochs, (epoch + 1) * stepsPerEpoch, totalSteps, metrics.Loss, metrics.ImagesPerSecond, TimeSpan.Zero,
                $"epoch {epoch + 1}: loss {metrics.Loss:F4}" + (map is { } m ? $", val mAP {m:F3}" : "")));
            if (stopAfterEpoch is { } stop && epoch + 1 >= stop) break;
        }
        return new TrainingResult(history, problems, parameters, network);
    }

    /// <summary>Decodes and augments batch <paramref name="s"/> of the epoch's order; unreadable samples are replaced by the next readable ones.</summary>
    private (float[] Images, float[] Labels) FillBatch(int[] order, int s, int epoch, List<string> problems)
    {
        int batch = options.BatchSize, crop = options.Augmentation.CropSize, classes = train.Classes.Count;
        var images = new float[batch * 3 * crop * crop];
        var labels = new float[batch * classes];
        int cursor = s * batch;
        for (int b = 0; b < batch; b++)
        {
            for (int attempt = 0; ; attempt++)
            {
                int index = order[(cursor + b + attempt * 7919) % order.Length]; // a failed sample is replaced by a later one
                TrainingSample sample;
                try
                {
                    sample = train.Load(index);
                }
                catch (Exception e) when (!options.StopOnBadSample && attempt < 16 && e is not OperationCanceledException)
                {
                    lock (problems) problems.Add($"{train.IdOf(index)}: {e.Message}");
                    continue;
                }
                var rng = new Random(SampleSeed.Of(options.Seed, epoch, index));
                options.Augmentation.Apply(sample.Image, rng, images.AsSpan(b * 3 * crop * crop, 3 * crop * crop));
                sample.Labels.CopyTo(labels, b * classes);
                break;
            }
        }
        return (images, labels);
    }

    /// <summary>Mean average precision of the current weights on full-size validation images (no augmentation).</summary>
    private double ValidationMap(ParameterStore parameters, CamClassifierOptions network, ITrainingSource source, List<string> problems, CancellationToken cancellation)
    {
        using var evaluator = new ClassifierEvaluator(network, parameters, options.Threads);
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
            catch (Exception e) when (!options.StopOnBadSample && e is not OperationCanceledException)
            {
                problems.Add($"{source.IdOf(i)}: {e.Message}");
                continue;
            }
            scores.Add(evaluator.Logits(sample.Image, options.Augmentation.Normalization));
            truth.Add(sample.Labels);
        }
        return AveragePrecision.Mean(scores, truth);
    }

    private void LoadInitialWeights(ParameterStore parameters)
    {
        var matching = InitialWeights!.Where(kv => parameters.Tensors.TryGetValue(kv.Key, out var t) && t.Shape.SequenceEqual(kv.Value.Shape)).ToDictionary();
        if (matching.Count == 0)
            throw new InvalidDataException("none of the initial weights matches a parameter of this network by name and shape (expected torchvision-style names such as layer1.0.conv1.weight)");
        parameters.Load(matching);
        Progress?.Report(new TrainingProgress(0, options.Epochs, 0, 0, double.NaN, 0, TimeSpan.Zero, $"initialised {matching.Count} of {parameters.Tensors.Count} parameters from the given weights"));
    }
}
