namespace WsssOnnx.Attribution.Climbing;

/// <summary>
/// Per-step diagnostics of one <see cref="AdvCamClimber.Climb"/> call, for tests and benchmarks. Not thread-safe:
/// one trace per call.
/// </summary>
public sealed class ClimbingTrace
{
    private readonly List<ClimbingStep> _steps = [];

    /// <summary>Keep a copy of every A_t (costs a copy of the maps per step).</summary>
    public bool RecordMaps { get; init; }

    /// <summary>Called after every step, before the climber checks for cancellation and starts the next one.</summary>
    public Action<ClimbingStep>? OnStep { get; init; }

    /// <summary>Steps in execution order: scales in the order given, t = 0 .. T − 1 within each.</summary>
    public IReadOnlyList<ClimbingStep> Steps => _steps;

    internal void Add(ClimbingStep step)
    {
        _steps.Add(step);
        OnStep?.Invoke(step);
    }
}
