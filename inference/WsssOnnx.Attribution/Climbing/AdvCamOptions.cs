using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Climbing;

/// <summary>
/// Parameters of anti-adversarial climbing (AdvCAM, Lee et al. CVPR 2021) with the authors' defaults.
/// Mapping to the paper's symbols: <see cref="Steps"/> = T, <see cref="StepSize"/> = ξ, <see cref="MaskWeight"/> = λ,
/// <see cref="MaskThreshold"/> = τ. <see cref="Steps"/> = 1 is plain CAM (no climbing).
/// </summary>
public sealed record AdvCamOptions
{
    public const int MaxSteps = 1000;
    public const int MaxScales = 8;
    public const float MinScale = 0.125f;
    public const float MaxScaleFactor = 4f;
    public const float MaxStepSize = 10f;
    public const float MaxMaskWeight = 1000f;
    public const int MinMaxSide = 16;
    public const int MaxMaxSide = 8192;
    public const int MaxPairsPerCall = 1024;

    /// <summary>T: climbing steps per scale, each adding its map A_t (1 = plain CAM).</summary>
    public int Steps { get; init; } = 27;

    /// <summary>ξ: L∞-normalised step length in normalised-image units (the released code's 0.08; one translation of the paper prints 0.008).</summary>
    public float StepSize { get; init; } = 0.08f;

    /// <summary>λ: weight of the restricted regulariser Σ M_t |A_t − A_0|; 0 turns it off.</summary>
    public float MaskWeight { get; init; } = 7f;

    /// <summary>τ: the restriction mask is M_t = 1[A_t / max A_t &gt; τ].</summary>
    public float MaskThreshold { get; init; } = 0.5f;

    /// <summary>Image scales, each climbed with all <see cref="Steps"/> and merged with weight 1 (IRN's make_cam).</summary>
    public IReadOnlyList<float> Scales { get; init; } = [1.0f, 0.5f, 1.5f, 2.0f];

    /// <summary>
    /// Memory bound: an image whose long side exceeds this is rejected (not downscaled), so that a request's maps always
    /// have its own resolution; callers resize first if they want. The largest scale multiplies it (2048 at 2.0).
    /// </summary>
    public int MaxSide { get; init; } = 1024;

    /// <summary>
    /// How many (image, flipped image) pairs, one per class, go into one ORT call: 0 (the default) puts all classes of a
    /// scale into one batch; k &gt; 0 climbs the classes k at a time, each group its own T steps. The maths is per
    /// class, so the maps do not change; a small k bounds memory for many classes on large images, and k = 1 is the
    /// unbatched baseline `wsss bench` compares against. The pair is the smallest unit: the graph merges a copy with its flip.
    /// </summary>
    public int PairsPerCall { get; init; }

    /// <summary>Plain CAM: one step, no climbing, the default scales.</summary>
    public static AdvCamOptions Cam { get; } = new() { Steps = 1 };

    /// <summary>The defaults a model package ships (its manifest's AdvCAM section); <see cref="MaxSide"/> keeps its default.</summary>
    public static AdvCamOptions FromDefaults(AdvCamDefaults defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        return new AdvCamOptions
        {
            Steps = defaults.Steps,
            StepSize = defaults.StepSize,
            MaskWeight = defaults.MaskWeight,
            MaskThreshold = defaults.MaskThreshold,
            Scales = [.. defaults.Scales],
        }.Validate();
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first field outside its range; returns this.</summary>
    public AdvCamOptions Validate()
    {
        if (Steps is < 1 or > MaxSteps)
            throw Invalid(nameof(Steps), Steps, $"must be in [1, {MaxSteps}] (1 is plain CAM)");
        if (!(StepSize >= 0f && StepSize <= MaxStepSize))
            throw Invalid(nameof(StepSize), StepSize, $"must be in [0, {MaxStepSize}]");
        if (!(MaskWeight >= 0f && MaskWeight <= MaxMaskWeight))
            throw Invalid(nameof(MaskWeight), MaskWeight, $"must be in [0, {MaxMaskWeight}]");
        if (!(MaskThreshold >= 0f && MaskThreshold <= 1f))
            throw Invalid(nameof(MaskThreshold), MaskThreshold, "must be in [0, 1]");
        if (Scales is null || Scales.Count is < 1 or > MaxScales)
            throw Invalid(nameof(Scales), Scales?.Count ?? 0, $"must hold 1 to {MaxScales} scales");
        foreach (float scale in Scales)
        {
            if (!IsScaleInRange(scale))
                throw Invalid(nameof(Scales), scale, $"each scale must be in [{MinScale}, {MaxScaleFactor}]");
        }
        if (PairsPerCall is < 0 or > MaxPairsPerCall)
            throw Invalid(nameof(PairsPerCall), PairsPerCall, $"must be in [0, {MaxPairsPerCall}] (0: all classes in one call)");
        if (MaxSide is < MinMaxSide or > MaxMaxSide)
            throw Invalid(nameof(MaxSide), MaxSide, $"must be in [{MinMaxSide}, {MaxMaxSide}]");
        return this;
    }

    /// <summary>Whether an image scale is in [<see cref="MinScale"/>, <see cref="MaxScaleFactor"/>] (NaN is not).</summary>
    public static bool IsScaleInRange(float scale) => scale >= MinScale && scale <= MaxScaleFactor;

    private static ArgumentOutOfRangeException Invalid(string field, object value, string range) =>
        new(field, value, $"AdvCamOptions.{field} {range}; got {value}");
}
