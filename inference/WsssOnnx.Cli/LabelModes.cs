using WsssOnnx.Attribution.Cam;

namespace WsssOnnx.Cli;

/// <summary>The label options relabel and attribute share: --mode with the older --crf, and the confident-label thresholds.</summary>
internal static class LabelModes
{
    /// <summary>--mode, or crf for the older --crf flag, or seeds; a contradiction is an error.</summary>
    public static LabelMode Resolve(LabelMode? mode, bool crf)
    {
        if (crf && mode is { } m && m != LabelMode.Crf)
            throw new CommandFailedException($"--crf and --mode {m.ToString().ToLowerInvariant()} contradict each other; give one of them.");
        return mode ?? (crf ? LabelMode.Crf : LabelMode.Seeds);
    }

    /// <summary>The confident-label thresholds, each defaulting to ADVCAM.md's (validated when the package is opened).</summary>
    public static ConfidentLabelOptions Confident(float? foreground, float? background)
    {
        var defaults = new ConfidentLabelOptions();
        return new ConfidentLabelOptions
        {
            ForegroundThreshold = foreground ?? defaults.ForegroundThreshold,
            BackgroundThreshold = background ?? defaults.BackgroundThreshold,
        };
    }
}
