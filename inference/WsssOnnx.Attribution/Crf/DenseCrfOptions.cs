namespace WsssOnnx.Attribution.Crf;

/// <summary>
/// Parameters of the fully connected CRF (Krähenbühl and Koltun 2011) with the defaults IRN's
/// <c>crf_inference_label</c> passes to pydensecrf. Mapping to the paper's symbols and pydensecrf's arguments:
/// <list type="bullet">
/// <item><see cref="GaussianSxy"/> = θ_γ (smoothness kernel, <c>addPairwiseGaussian(sxy)</c>), <see cref="GaussianCompat"/> = w⁽²⁾ (<c>compat</c>).</item>
/// <item><see cref="BilateralSxy"/> = θ_α, <see cref="BilateralSrgb"/> = θ_β (appearance kernel, <c>addPairwiseBilateral(sxy, srgb)</c>), <see cref="BilateralCompat"/> = w⁽¹⁾.</item>
/// <item><see cref="GroundTruthProbability"/> = <c>unary_from_labels(gt_prob)</c>; <see cref="Iterations"/> = <c>inference(t)</c>.</item>
/// </list>
/// Positions are in pixels, colours in 8-bit units (0–255), as pydensecrf's <c>DenseCRF2D</c> takes them.
/// </summary>
public sealed record DenseCrfOptions
{
    /// <summary>Mean-field iterations (pydensecrf <c>inference(t)</c>, IRN t = 10). 0 returns softmax(−unary).</summary>
    public int Iterations { get; init; } = 10;

    /// <summary>Probability given to the observed label when the unary comes from a label map (pydensecrf <c>gt_prob</c>).</summary>
    public float GroundTruthProbability { get; init; } = 0.7f;

    /// <summary>θ_γ: spatial standard deviation of the smoothness (Gaussian) kernel, pixels.</summary>
    public float GaussianSxy { get; init; } = 3f;

    /// <summary>w⁽²⁾: Potts weight of the smoothness kernel; 0 switches the kernel off.</summary>
    public float GaussianCompat { get; init; } = 3f;

    /// <summary>θ_α: spatial standard deviation of the appearance (bilateral) kernel, pixels.</summary>
    public float BilateralSxy { get; init; } = 50f;

    /// <summary>θ_β: colour standard deviation of the appearance (bilateral) kernel, 8-bit units.</summary>
    public float BilateralSrgb { get; init; } = 5f;

    /// <summary>w⁽¹⁾: Potts weight of the appearance kernel; 0 switches the kernel off.</summary>
    public float BilateralCompat { get; init; } = 10f;

    /// <summary>Threads one inference may use (−1: all cores). Not a model parameter: results do not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    public const int MaxIterations = 1000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first field outside its range.</summary>
    public void Validate()
    {
        if (Iterations is < 0 or > MaxIterations)
            throw Invalid(nameof(Iterations), Iterations, $"must be in [0, {MaxIterations}]");
        if (!(GroundTruthProbability > 0f && GroundTruthProbability < 1f))
            throw Invalid(nameof(GroundTruthProbability), GroundTruthProbability, "must be in (0, 1), exclusive");
        RequirePositive(nameof(GaussianSxy), GaussianSxy);
        RequireNonNegative(nameof(GaussianCompat), GaussianCompat);
        RequirePositive(nameof(BilateralSxy), BilateralSxy);
        RequirePositive(nameof(BilateralSrgb), BilateralSrgb);
        RequireNonNegative(nameof(BilateralCompat), BilateralCompat);
        if (MaxDegreeOfParallelism is 0 or < -1)
            throw Invalid(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "must be -1 (all cores) or at least 1");
    }

    private static void RequirePositive(string field, float value)
    {
        if (!(value > 0f && float.IsFinite(value)))
            throw Invalid(field, value, "must be finite and > 0");
    }

    private static void RequireNonNegative(string field, float value)
    {
        if (!(value >= 0f && float.IsFinite(value)))
            throw Invalid(field, value, "must be finite and >= 0");
    }

    private static ArgumentOutOfRangeException Invalid(string field, object value, string range) =>
        new(field, value, $"DenseCrfOptions.{field} {range}; got {value}");
}
