namespace WsssOnnx.Attribution.Cam;

/// <summary>
/// The two background thresholds of <see cref="ConfidentLabels"/>, with ADVCAM.md's defaults (IRN's own code uses
/// conf_fg_thres 0.30 and conf_bg_thres 0.05). Maps are max-normalised, so both are in [0, 1], background ≤ foreground.
/// </summary>
public sealed record ConfidentLabelOptions
{
    /// <summary>Background threshold of the foreground pass: a pixel is foreground only where a class map exceeds it.</summary>
    public float ForegroundThreshold { get; init; } = 0.35f;

    /// <summary>Background threshold of the background pass: a pixel is background only where every class map is at most this.</summary>
    public float BackgroundThreshold { get; init; } = 0.15f;

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
