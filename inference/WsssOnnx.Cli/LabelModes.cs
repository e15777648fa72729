namespace WsssOnnx.Cli;

/// <summary>The label options relabel and attribute share: --mode with the older --crf, and the confident-label thresholds.</summary>
internal static class LabelModes
{
    /// <summary>--mode, or crf for the older --crf flag, or seeds; a contradiction is an error.</summary>
    public static LabelMode Resolve(LabelMode? mode, bool crf)
    {
        if (crf && mode is { } m && m != LabelMode.Crf)
            throw new UsageException($"--crf and --mode {m.ToString().ToLowerInvariant()} contradict each other; give one of them.");
        return mode ?? (crf ? LabelMode.Crf : LabelMode.Seeds);
    }
}

/// <summary>--fg-threshold and --bg-threshold as given (null: not given: they follow the seed background threshold, IRN's 0.30 and 0.05 at 0.15).</summary>
internal sealed record ConfidentChoice(float? Foreground, float? Background);

/// <summary>FickleNet's --drop-rate and --samples; null keeps the package's default.</summary>
internal sealed record FickleChoice(float? DropRate, int? Samples)
{
    public static FickleChoice None { get; } = new(null, null);
}
