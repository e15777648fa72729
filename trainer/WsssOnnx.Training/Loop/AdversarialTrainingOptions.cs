using WsssOnnx.Graph.Networks;

namespace WsssOnnx.Training.Loop;

/// <summary>
/// Settings of Hung et al.'s adversarial semi-supervised training (BMVC 2018) beside the segmenter, with the values of
/// the paper and its official code (hfslyc/AdvSemiSeg): lambda_adv 0.01 on ground-truth images and 0.001 on the others,
/// lambda_semi 0.1 with T_semi 0.2 from a quarter of the run on (its 5k of 20k steps), the discriminator trained by
/// Adam at 1e-4 with betas 0.9 and 0.99 and the segmenter's poly decay.
/// </summary>
public sealed record AdversarialTrainingOptions
{
    /// <summary>lambda_adv on the images that train on their ground truth.</summary>
    public float AdversarialWeight { get; init; } = AdversarialLosses.LabelledAdversarialWeight;

    /// <summary>lambda_adv on the others (the official code's lambda_semi_adv).</summary>
    public float UnlabelledAdversarialWeight { get; init; } = AdversarialLosses.UnlabelledAdversarialWeight;

    /// <summary>lambda_semi: the weight of the self-taught loss on the confident pixels of the images without ground truth.</summary>
    public float SemiWeight { get; init; } = AdversarialLosses.SemiWeight;

    /// <summary>T_semi: the discriminator's confidence above which a pixel's own argmax becomes its target.</summary>
    public float SemiThreshold { get; init; } = AdversarialLosses.SemiThreshold;

    /// <summary>The step from which the self-taught loss counts; null: a quarter of the run's steps.</summary>
    public int? SemiStart { get; init; }

    /// <summary>The discriminator's Adam learning rate at step 0 (poly decay over the run, as the segmenter's).</summary>
    public float DiscriminatorLearningRate { get; init; } = 1e-4f;

    public float DiscriminatorBeta1 { get; init; } = 0.9f;

    public float DiscriminatorBeta2 { get; init; } = 0.99f;

    /// <summary>The discriminator's first convolution's channels (then 2x, 4x, 8x): the paper's 64.</summary>
    public int DiscriminatorWidth { get; init; } = 64;

    /// <summary>
    /// Label smoothing epsilon of the discriminator's real examples, (1 - epsilon) one-hot + epsilon / K; 0 (the official
    /// code's plain one-hot) by default.
    /// </summary>
    public float RealLabelSmoothing { get; init; }

    /// <summary>The step from which the self-taught loss counts in a run of <paramref name="totalSteps"/> steps.</summary>
    public int SemiStartStep(int totalSteps) => SemiStart ?? totalSteps / 4;

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and its allowed range.</summary>
    public AdversarialTrainingOptions Validate()
    {
        Require(nameof(AdversarialWeight), AdversarialWeight, "a number >= 0", v => v >= 0f && float.IsFinite(v));
        Require(nameof(UnlabelledAdversarialWeight), UnlabelledAdversarialWeight, "a number >= 0", v => v >= 0f && float.IsFinite(v));
        Require(nameof(SemiWeight), SemiWeight, "a number >= 0", v => v >= 0f && float.IsFinite(v));
        Require(nameof(SemiThreshold), SemiThreshold, "[0, 1)", v => v is >= 0f and < 1f);
        Require(nameof(DiscriminatorLearningRate), DiscriminatorLearningRate, "a number > 0", v => v > 0f && float.IsFinite(v));
        Require(nameof(RealLabelSmoothing), RealLabelSmoothing, "[0, 1)", v => v is >= 0f and < 1f);
        Require(nameof(DiscriminatorBeta1), DiscriminatorBeta1, "[0, 1)", v => v is >= 0f and < 1f);
        Require(nameof(DiscriminatorBeta2), DiscriminatorBeta2, "[0, 1)", v => v is >= 0f and < 1f);
        if (SemiStart is < 0) throw new ArgumentException($"{nameof(SemiStart)} must be 0 or more steps; got {SemiStart}", nameof(SemiStart));
        if (DiscriminatorWidth < 1) throw new ArgumentException($"{nameof(DiscriminatorWidth)} must be 1 or more; got {DiscriminatorWidth}", nameof(DiscriminatorWidth));
        return this;
    }

    private static void Require(string field, float value, string range, Func<float, bool> inRange)
    {
        if (!inRange(value)) throw new ArgumentException($"{field} must be {(range.StartsWith('[') ? "in " : "")}{range}; got {value}", field);
    }
}
