using System.Diagnostics;
using System.Globalization;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Training;
using WsssOnnx.Packages;
using WsssOnnx.Training.Optim;

namespace WsssOnnx.Training.Loop;

/// <summary>What differs between training tasks: how a sample fills its slot of the batch, and how the run is validated.</summary>
internal interface ITrainingTask
{
    /// <summary>Parameters whose names start with this get the head learning rate.</summary>
    string HeadPrefix { get; }

    /// <summary>The batch tensors, in graph input order, as (name, float or int64 tensor).</summary>
    IReadOnlyList<(string Name, HostTensor<float>? Float, HostTensor<long>? Int)> BatchInputs { get; }

    bool NeedsMask { get; }

    /// <summary>Writes sample <paramref name="sample"/>, augmented with <paramref name="rng"/>, into slot <paramref name="slot"/> of the staging tensors.</summary>
    void Fill(TrainingSample sample, Random rng, int slot, IReadOnlyList<Array> stage);

    /// <summary>
    /// Tensors computed before every step from the batch and the current parameters (e.g. SEC's CRF target), bound as
    /// graph inputs beside <see cref="BatchInputs"/>. A batch input the training graph does not declare is staged only.
    /// </summary>
    IReadOnlyList<(string Name, HostTensor<float>? Float, HostTensor<long>? Int)> StepInputs => [];

    /// <summary>Fills <see cref="StepInputs"/> for the batch now in the bound buffers before step <paramref name="step"/> (counted from 0 over the run).</summary>
    void BeforeStep(ParameterStore parameters, int step) { }

    /// <summary>Further graph outputs copied after every step into these tensors, for <see cref="AfterStep"/>.</summary>
    IReadOnlyList<(string Name, HostTensor<float> Target)> StepOutputs => [];

    /// <summary>The names of the terms <see cref="AfterStep"/> measures, logged after the training graph's own.</summary>
    IReadOnlyList<string> AfterStepTerms => [];

    /// <summary>Work after step <paramref name="step"/> on its <see cref="StepOutputs"/> (a second network's own step); writes <see cref="AfterStepTerms"/>' values.</summary>
    void AfterStep(int step, Span<double> terms) { }

    /// <summary>What trains beside the network (a second network and its optimiser), saved with the checkpoint: tensors and settings.</summary>
    (IReadOnlyDictionary<string, HostTensor<float>> Tensors, IReadOnlyDictionary<string, string> State) CheckpointExtras() =>
        (new Dictionary<string, HostTensor<float>>(), new Dictionary<string, string>());

    /// <summary>Restores <see cref="CheckpointExtras"/> from a resumed checkpoint's auxiliary tensors and state.</summary>
    void RestoreExtras(IReadOnlyDictionary<string, HostTensor<float>> tensors, IReadOnlyDictionary<string, string> state) { }

    /// <summary>The validation metric's name and value for the current parameters, or null without a validation set.</summary>
    (string Name, double Value)? Validate(ParameterStore parameters, List<string> problems, CancellationToken cancellation);
}

/// <summary>
/// The epoch loop shared by the classifier and segmenter trainers: shuffling and augmentation from per-sample seeds,
/// a batch prepared in the background while ORT runs the previous step, SGD with the poly schedule, skipping (or
/// stopping at) unreadable samples, metrics, progress, and a checkpoint after every epoch to resume from.
/// </summary>
internal sealed class TrainingLoop(SgdSettings options, ITrainingSource train, string runDirectory, IProgress<TrainingProgress>? progress)
{
    public const string CheckpointFile = "checkpoint.onnx";

    /// <summary>Loads pretrained weights whose names and shapes match (a checkpoint, when resumed, replaces them later).</summary>
    public static void LoadInitialWeights(ParameterStore parameters, IReadOnlyDictionary<string, HostTensor<float>> weights, int epochs, IProgress<TrainingProgress>? progress)
    {
        int loaded = parameters.LoadMatching(weights);
        progress?.Report(new TrainingProgress(0, epochs, 0, 0, double.NaN, 0, TimeSpan.Zero,
            $"initialised {loaded} of {parameters.Tensors.Count} parameters from the given weights"));
    }

    /// <summary>Optimiser steps in one epoch: the last partial batch is dropped, as IRN's loader does.</summary>
    public static int StepsPerEpoch(int images, int batch) => images / batch;

    public List<string> Problems { get; } = [];

    public IReadOnlyList<EpochMetrics> Run(GraphBuilder graph, TrainingGraphSpec spec, ParameterStore parameters, ITrainingTask task, bool resume, int? stopAfterEpoch, CancellationToken cancellation)
    {
        int batch = options.BatchSize;
        if (train.Count < batch) throw new ArgumentException($"the training set has {train.Count} images, fewer than one batch of {batch}");
        var optimizer = new SgdMomentum(options.Momentum, options.WeightDecay);
        var log = new MetricsLog(runDirectory);
        var history = new List<EpochMetrics>();
        int stepsPerEpoch = StepsPerEpoch(train.Count, batch);
        int totalSteps = stepsPerEpoch * options.Epochs;
        var schedule = new PolyLearningRate(options.LearningRate, totalSteps);
        int firstEpoch = 0;
        string checkpoint = Path.Combine(runDirectory, CheckpointFile);
        if (resume && File.Exists(checkpoint))
        {
            var (velocity, state, auxiliary) = parameters.LoadCheckpoint(checkpoint);
            optimizer.Restore(velocity);
            task.RestoreExtras(auxiliary, state);
            firstEpoch = int.Parse(state["epochs_done"], CultureInfo.InvariantCulture);
            log.TruncateAfter(firstEpoch);
            progress?.Report(new TrainingProgress(firstEpoch, options.Epochs, firstEpoch * stepsPerEpoch, totalSteps, double.NaN, 0, TimeSpan.Zero,
                $"resumed from {checkpoint} after epoch {firstEpoch}"));
        }

        using var stepper = new GraphStepper(graph, spec, parameters, [.. task.BatchInputs, .. task.StepInputs], options.Threads, task.StepOutputs);
        string[] termNames = [.. spec.Terms, .. task.AfterStepTerms];
        var afterStepTerms = new double[task.AfterStepTerms.Count];
        var watch = Stopwatch.StartNew();
        int stepsRun = 0;
        for (int epoch = firstEpoch; epoch < options.Epochs; epoch++)
        {
            var epochWatch = Stopwatch.StartNew();
            var order = SampleSeed.Permutation(options.Seed, epoch, train.Count);
            double lossSum = 0;
            var termSums = new double[termNames.Length];
            int e = epoch;
            var staged = Task.Run(() => Stage(task, order, 0, e, cancellation));
            for (int s = 0; s < stepsPerEpoch; s++)
            {
                cancellation.ThrowIfCancellationRequested();
                var stage = staged.GetAwaiter().GetResult();
                for (int i = 0; i < stage.Count; i++)
                    Array.Copy(stage[i], (Array?)task.BatchInputs[i].Float?.Data ?? task.BatchInputs[i].Int!.Data, stage[i].Length);
                if (s + 1 < stepsPerEpoch)
                {
                    int next = s + 1;
                    staged = Task.Run(() => Stage(task, order, next, e, cancellation));
                }
                int step = epoch * stepsPerEpoch + s;
                float lr = schedule.At(step);
                task.BeforeStep(parameters, step);
                float loss = stepper.Step(optimizer, name => name.StartsWith(task.HeadPrefix, StringComparison.Ordinal) ? lr * options.HeadLearningRateMultiplier : lr);
                task.AfterStep(step, afterStepTerms);
                lossSum += loss;
                for (int t = 0; t < stepper.Terms.Length; t++) termSums[t] += stepper.Terms[t];
                for (int t = 0; t < afterStepTerms.Length; t++) termSums[stepper.Terms.Length + t] += afterStepTerms[t];
                stepsRun++;
                double rate = stepsRun * batch / watch.Elapsed.TotalSeconds;
                progress?.Report(new TrainingProgress(epoch + 1, options.Epochs, step + 1, totalSteps, loss, rate, TimeSpan.FromSeconds((totalSteps - step - 1) * batch / Math.Max(rate, 1e-9))));
            }

            double trainSeconds = epochWatch.Elapsed.TotalSeconds;
            var validation = task.Validate(parameters, Problems, cancellation);
            var metrics = new EpochMetrics(epoch + 1, (epoch + 1) * stepsPerEpoch, lossSum / stepsPerEpoch, validation?.Value, validation?.Name ?? "",
                stepsPerEpoch * batch / trainSeconds, epochWatch.Elapsed.TotalSeconds, schedule.At((epoch + 1) * stepsPerEpoch - 1))
            {
                Terms = [.. termNames.Select((name, t) => (name, termSums[t] / stepsPerEpoch))],
            };
            history.Add(metrics);
            log.Append(metrics);
            var (extraTensors, extraState) = task.CheckpointExtras();
            var state = new Dictionary<string, string>(extraState)
            {
                ["epochs_done"] = (epoch + 1).ToString(CultureInfo.InvariantCulture),
                ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            };
            parameters.SaveCheckpoint(checkpoint, optimizer.Velocity, state, extraTensors);
            progress?.Report(new TrainingProgress(epoch + 1, options.Epochs, (epoch + 1) * stepsPerEpoch, totalSteps, metrics.Loss, metrics.ImagesPerSecond, TimeSpan.Zero,
                $"epoch {epoch + 1}: loss {metrics.Loss:F4}" + string.Concat(metrics.Terms.Select(t => $" ({t.Name} {t.Value:F4})")) +
                (validation is { } v ? $", {v.Name} {v.Value:F3}" : "")));
            if (stopAfterEpoch is { } stop && epoch + 1 >= stop) break;
        }
        return history;
    }

    /// <summary>Decodes and augments batch <paramref name="s"/> of the epoch's order; unreadable samples are replaced by later ones.</summary>
    private List<Array> Stage(ITrainingTask task, int[] order, int s, int epoch, CancellationToken cancellation)
    {
        var stage = task.BatchInputs.Select(b => (Array)(b.Float is { } f ? new float[f.Data.Length] : new long[b.Int!.Data.Length])).ToList();
        int batch = options.BatchSize;
        for (int slot = 0; slot < batch; slot++)
        {
            for (int attempt = 0; ; attempt++)
            {
                cancellation.ThrowIfCancellationRequested();
                int index = order[(s * batch + slot + attempt * 7919) % order.Length];
                TrainingSample sample;
                try
                {
                    sample = train.Load(index, task.NeedsMask);
                }
                catch (Exception e) when (!options.StopOnBadSample && attempt < 16 && e is not OperationCanceledException)
                {
                    lock (Problems) Problems.Add($"{train.IdOf(index)}: {e.Message}");
                    continue;
                }
                task.Fill(sample, new Random(SampleSeed.Of(options.Seed, epoch, index)), slot, stage);
                break;
            }
        }
        return stage;
    }
}
