using System.Text.Json.Serialization;
using WsssOnnx.Attribution.Crf;

namespace WsssOnnx.Training.Seeding;

/// <summary>The segmenter's training loss.</summary>
public enum SegmenterLoss
{
    /// <summary>Pixel cross-entropy on the pseudo-labels (255 ignored), at the crop's resolution.</summary>
    CrossEntropy,

    /// <summary>SEC (Kolesnikov and Lampert, ECCV 2016): seeding + expansion (GWRP) + constrain-to-boundary (CRF KL).</summary>
    Sec,

    /// <summary>DSRG (Huang et al., CVPR 2018): balanced seeding on seeds grown every step + SEC's boundary loss.</summary>
    Dsrg,
}

/// <summary>
/// Settings of SEC's and DSRG's losses, with the values of the papers' official code (kolesman/SEC, speedinghzl/DSRG):
/// GWRP decays d₊ = 0.996, d₋ = 0.999; region-growing thresholds θ_bg = 0.99, θ_fg = 0.85; every loss weight 1; the
/// dense CRF at the score map's resolution with the image downscaled to it, kernels divided by SEC's scale factor 12
/// (appearance θ_α = 80/12 px, θ_β = 13, w = 10; smoothness θ_γ = 3/12 px, w = 3), 10 mean-field iterations.
/// </summary>
public sealed record SegmenterLossOptions
{
    public SegmenterLoss Loss { get; init; } = SegmenterLoss.Sec;

    /// <summary>d₊: GWRP decay for the foreground classes (SEC's expansion loss).</summary>
    public float ForegroundDecay { get; init; } = 0.996f;

    /// <summary>d₋: GWRP decay for the background (SEC's expansion loss).</summary>
    public float BackgroundDecay { get; init; } = 0.999f;

    /// <summary>θ_bg: probability a pixel needs to join the background in DSRG's region growing.</summary>
    public float BackgroundThreshold { get; init; } = 0.99f;

    /// <summary>θ_fg: probability a pixel needs to join a foreground class in DSRG's region growing.</summary>
    public float ForegroundThreshold { get; init; } = 0.85f;

    /// <summary>
    /// Epochs over which the terms beyond the seeding loss (SEC's expansion and constrain, DSRG's constrain) ramp in
    /// linearly from weight 0 to 1. Neither paper has this: both start from an ImageNet network. From scratch, the
    /// untrained network's near-uniform P gives a CRF target Q peaked on one class everywhere and an expansion loss that
    /// asks for the background (and each present class) everywhere; those coherent gradients turned the network into a
    /// constant, saturated map within 1-4 steps at lr 0.02, where the 1e-4 probability floor leaves the seeds no gradient
    /// (docs/studies.md). The seeding loss alone trains like cross-entropy, so it trains first. 0: no warm-up.
    /// </summary>
    public float WarmupEpochs { get; init; } = 1f;

    /// <summary>DSRG's boundary loss clips Q/P to [0.05, 20] (its code); SEC's does not.</summary>
    [JsonIgnore]
    public (float Min, float Max)? ConstrainRatioRange => Loss == SegmenterLoss.Dsrg ? (0.05f, 20f) : null;

    /// <summary>The CRF run on the segmenter's probabilities every step (one thread per image; the batch runs in parallel).</summary>
    public DenseCrfOptions Crf { get; init; } = new()
    {
        Iterations = 10,
        BilateralSxy = 80f / 12f,
        BilateralSrgb = 13f,
        BilateralCompat = 10f,
        GaussianSxy = 3f / 12f,
        GaussianCompat = 3f,
        MaxDegreeOfParallelism = 1,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and its allowed range.</summary>
    public SegmenterLossOptions Validate()
    {
        if (Loss is not (SegmenterLoss.Sec or SegmenterLoss.Dsrg))
            throw new ArgumentException($"Loss must be Sec or Dsrg for these options (cross-entropy has none); got {Loss}", nameof(Loss));
        RequireUnit(nameof(ForegroundDecay), ForegroundDecay, "[0, 1]", v => v is >= 0f and <= 1f);
        RequireUnit(nameof(BackgroundDecay), BackgroundDecay, "[0, 1]", v => v is >= 0f and <= 1f);
        RequireUnit(nameof(BackgroundThreshold), BackgroundThreshold, "[0, 1)", v => v is >= 0f and < 1f);
        RequireUnit(nameof(ForegroundThreshold), ForegroundThreshold, "[0, 1)", v => v is >= 0f and < 1f);
        if (!(WarmupEpochs is >= 0f and <= 1000f)) throw new ArgumentException($"WarmupEpochs must be in [0, 1000]; got {WarmupEpochs}", nameof(WarmupEpochs));
        if (Crf is null) throw new ArgumentException("Crf must be set", nameof(Crf));
        Crf.Validate();
        return this;
    }

    private static void RequireUnit(string field, float value, string range, Func<float, bool> inRange)
    {
        if (!inRange(value)) throw new ArgumentException($"{field} must be in {range}; got {value}", field);
    }
}
