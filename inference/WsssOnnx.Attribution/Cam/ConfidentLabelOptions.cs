namespace WsssOnnx.Attribution.Cam;

/// <summary>
/// The two background thresholds of <see cref="ConfidentLabels"/>, by default IRN's (run_sample.py: conf_fg_thres 0.30,
/// conf_bg_thres 0.05). Maps are max-normalised, so both are in [0, 1], background ≤ foreground.
/// </summary>
public sealed record ConfidentLabelOptions
{
    /// <summary>Background threshold of the foreground pass: a pixel is foreground only where a class map exceeds it.</summary>
    public float ForegroundThreshold { get; init; } = 0.30f;

    /// <summary>Background threshold of the background pass: a pixel is background only where every class map is at most this.</summary>
    public float BackgroundThreshold { get; init; } = 0.05f;

    /// <summary>
    /// Thresholds for maps whose seed background threshold is <paramref name="seedThreshold"/>: IRN's 0.30 and 0.05 are
    /// 2x and 1/3 of its CAM threshold 0.15, so foreground = min(1, 2t) and background = t / 3 (t = 0.15 gives IRN's own);
    /// a given value replaces its default. A package whose maps are peaked (a low measured t) gets thresholds that
    /// still leave confident foreground and background.
    /// </summary>
    public static ConfidentLabelOptions ForSeedThreshold(float seedThreshold, float? foreground = null, float? background = null) => new()
    {
        ForegroundThreshold = foreground ?? MathF.Min(1f, 2f * seedThreshold),
        BackgroundThreshold = background ?? seedThreshold / 3f,
    };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first field outside its range; returns this.</summary>
    public ConfidentLabelOptions Validate()
    {
        if (!(ForegroundThreshold is >= 0f and <= 1f))
            throw new ArgumentOutOfRangeException(nameof(ForegroundThreshold), ForegroundThreshold, $"ConfidentLabelOptions.ForegroundThreshold must be in [0, 1]; got {ForegroundThreshold}");
        if (!(BackgroundThreshold >= 0f && BackgroundThreshold <= ForegroundThreshold))
            throw new ArgumentOutOfRangeException(nameof(BackgroundThreshold), BackgroundThreshold,
                $"ConfidentLabelOptions.BackgroundThreshold must be in [0, ForegroundThreshold = {ForegroundThreshold}]; got {BackgroundThreshold}");
        return this;
    }
}
