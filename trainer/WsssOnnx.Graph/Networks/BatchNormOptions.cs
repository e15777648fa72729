using static WsssOnnx.Graph.Networks.OptionRules;

namespace WsssOnnx.Graph.Networks;

/// <summary>Batch normalisation settings; defaults are PyTorch's BatchNorm2d (eps 1e-5, momentum 0.1) in IRN's frozen form.</summary>
public sealed record BatchNormOptions
{
    public BatchNormMode Mode { get; init; } = BatchNormMode.Frozen;

    public float Epsilon { get; init; } = 1e-5f;

    /// <summary>PyTorch's momentum: running = (1 - momentum) * running + momentum * batch statistic.</summary>
    public float Momentum { get; init; } = 0.1f;

    /// <summary>
    /// Whether scale and bias (PyTorch's weight, bias) train in stages that train. IRN's FixedBatchNorm fixes only the
    /// statistics, so its layer3/layer4 scales and biases are trained (true); DeepLab-v2 freezes them (false).
    /// </summary>
    public bool TrainAffine { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and its allowed range.</summary>
    public BatchNormOptions Validate()
    {
        Require(Enum.IsDefined(Mode), nameof(Mode), "must be Frozen, Folded or Training", Mode);
        Require(float.IsFinite(Epsilon) && Epsilon > 0, nameof(Epsilon), "must be a positive finite number", Epsilon);
        Require(Momentum is > 0f and <= 1f, nameof(Momentum), "must be in (0, 1]", Momentum);
        return this;
    }
}
