namespace WsssOnnx.Attribution.Evaluation;

/// <summary>Whether a threshold sweep's best is one of its ends, beyond which the maps' own best may lie.</summary>
public static class SweepEdge
{
    /// <summary>
    /// "lowest" or "highest" when <paramref name="best"/> is that end of a sweep of at least two distinct thresholds, and
    /// not 0 or 1, beyond which no threshold lies; otherwise null.
    /// </summary>
    public static string? Of(IReadOnlyList<float> thresholds, float best)
    {
        if (thresholds.Distinct().Count() < 2) return null;
        if (best == thresholds.Min() && best > 0f) return "lowest";
        return best == thresholds.Max() && best < 1f ? "highest" : null;
    }
}
