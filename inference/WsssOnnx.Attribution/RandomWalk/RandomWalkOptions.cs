namespace WsssOnnx.Attribution.RandomWalk;

/// <summary>
/// IRN's random-walk settings (run_sample.py): beta 10, exp_times 8 (2^8 = 256 steps), radius 5 on the stride-4 grid,
/// background threshold 0.25 on the propagated maps divided by their maximum.
/// </summary>
public sealed record RandomWalkOptions
{
    /// <summary>beta: affinities are raised to this power, A = a^beta (sharpens them).</summary>
    public float Beta { get; init; } = 10f;

    /// <summary>The walk takes 2^ExpTimes steps (IRN squares the transition matrix this many times).</summary>
    public int ExpTimes { get; init; } = 8;

    /// <summary>Pairs within this radius on the stride-4 grid are connected.</summary>
    public int Radius { get; init; } = 5;

    /// <summary>The constant background score next to the propagated, max-normalised class maps.</summary>
    public float BackgroundThreshold { get; init; } = 0.25f;

    public int Steps => 1 << ExpTimes;

    public RandomWalkOptions Validate()
    {
        if (!(Beta is > 0f and <= 100f)) throw new ArgumentException($"beta must be in (0, 100]; got {Beta}", nameof(Beta));
        if (ExpTimes is < 0 or > 12) throw new ArgumentException($"exp_times must be between 0 and 12 (2^12 steps); got {ExpTimes}", nameof(ExpTimes));
        if (Radius is < 2 or > 16) throw new ArgumentException($"the random-walk radius must be between 2 and 16; got {Radius}", nameof(Radius));
        if (!(BackgroundThreshold is >= 0f and <= 1f)) throw new ArgumentException($"the random-walk background threshold must be in [0, 1]; got {BackgroundThreshold}", nameof(BackgroundThreshold));
        return this;
    }
}
