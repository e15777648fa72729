using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Fickle;

/// <summary>
/// FickleNet's stochastic inference (Lee et al. CVPR 2019) with the paper's defaults: <see cref="DropRate"/> = p, the share of
/// non-centre hidden units each selection drops, and <see cref="Samples"/> = N, the random selections aggregated per image.
/// </summary>
public sealed record FickleNetOptions
{
    public const int MaxSamples = 10_000;

    /// <summary>p in [0, 1): the drop rate of the non-centre units of each 3x3 window (0 reproduces CAM).</summary>
    public float DropRate { get; init; } = 0.9f;

    /// <summary>N: random selections per image and scale.</summary>
    public int Samples { get; init; } = 200;

    /// <summary>Seed of the masks: the same image, options and seed give the same maps.</summary>
    public int Seed { get; init; }

    /// <summary>The defaults a model package ships (its manifest's FickleNet section).</summary>
    public static FickleNetOptions FromDefaults(FickleNetDefaults defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        return new FickleNetOptions { DropRate = defaults.DropRate, Samples = defaults.Samples }.Validate();
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first field outside its range; returns this.</summary>
    public FickleNetOptions Validate()
    {
        if (!(DropRate >= 0f && DropRate < 1f))
            throw new ArgumentOutOfRangeException(nameof(DropRate), DropRate, $"FickleNetOptions.DropRate must be in [0, 1); got {DropRate}");
        if (Samples is < 1 or > MaxSamples)
            throw new ArgumentOutOfRangeException(nameof(Samples), Samples, $"FickleNetOptions.Samples must be in [1, {MaxSamples}]; got {Samples}");
        return this;
    }
}
