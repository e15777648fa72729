using static WsssOnnx.Graph.Networks.OptionRules;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// ACoL (Zhang et al., CVPR 2018): two classifier heads on the backbone's features, the second fed the features with the
/// first head's high-response regions erased. Defaults are the paper's.
/// </summary>
public sealed record AcolOptions
{
    /// <summary>delta: a position is erased where the first head's min-max normalised map is at least this (the paper's 0.6).</summary>
    public float Threshold { get; init; } = 0.6f;

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and its allowed range.</summary>
    public AcolOptions Validate()
    {
        Require(Threshold is > 0f and <= 1f, nameof(Threshold), "must be in (0, 1]", Threshold);
        return this;
    }
}
