namespace WsssOnnx.Training.Loop;

/// <summary>
/// The optimisation settings every training run shares (classifier, segmenter, IRN): SGD with momentum and weight
/// decay on a poly schedule, lr_t = lr_0 (1 - t/T)^0.9, the head's parameters at a multiple of the backbone's rate.
/// Each trainer's options hold one, with that trainer's defaults.
/// </summary>
public sealed record SgdSettings
{
    public int Epochs { get; init; } = 1;

    public int BatchSize { get; init; } = 8;

    /// <summary>Backbone learning rate at step 0.</summary>
    public float LearningRate { get; init; } = 0.01f;

    /// <summary>The head's rate relative to the backbone's (IRN's classifier and DeepLab: 10).</summary>
    public float HeadLearningRateMultiplier { get; init; } = 1f;

    public float Momentum { get; init; } = 0.9f;

    public float WeightDecay { get; init; } = 1e-4f;

    /// <summary>Seeds the sample order and augmentation.</summary>
    public int Seed { get; init; }

    /// <summary>ORT intra-op threads (0: one per core).</summary>
    public int Threads { get; init; }

    /// <summary>Stop at the first sample that cannot be read, instead of skipping it (and reporting it).</summary>
    public bool StopOnBadSample { get; init; }

    /// <exception cref="ArgumentException">A setting out of range; the message names the property.</exception>
    public SgdSettings Validate()
    {
        if (Epochs is < 1 or > 10000) throw new ArgumentException($"Epochs must be between 1 and 10000; got {Epochs}", nameof(Epochs));
        if (BatchSize is < 1 or > 4096) throw new ArgumentException($"BatchSize must be between 1 and 4096; got {BatchSize}", nameof(BatchSize));
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate))
            throw new ArgumentException($"LearningRate must be a positive number; got {LearningRate}", nameof(LearningRate));
        if (!(HeadLearningRateMultiplier > 0) || !float.IsFinite(HeadLearningRateMultiplier))
            throw new ArgumentException(
                $"HeadLearningRateMultiplier must be a positive number; got {HeadLearningRateMultiplier}", nameof(HeadLearningRateMultiplier));
        if (!(Momentum is >= 0f and < 1f)) throw new ArgumentException($"Momentum must be in [0, 1); got {Momentum}", nameof(Momentum));
        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay))
            throw new ArgumentException($"WeightDecay must be a non-negative number; got {WeightDecay}", nameof(WeightDecay));
        if (Threads is < 0 or > 1024) throw new ArgumentException($"Threads must be between 0 and 1024; got {Threads}", nameof(Threads));
        return this;
    }
}
