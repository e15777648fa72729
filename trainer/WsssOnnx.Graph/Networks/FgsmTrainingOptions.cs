using static WsssOnnx.Graph.Networks.OptionRules;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// Adversarial training with FGSM and a random start (Wong, Rice and Kolter, ICLR 2020; <see cref="FastAdversarialExample"/>).
/// A robust classifier's input gradient follows object features rather than noise (AdvCAM section 3.2.2), and that
/// gradient is what AdvCAM climbs.
/// </summary>
public sealed record FgsmTrainingOptions
{
    /// <summary>
    /// L∞ radius epsilon in normalised input units: each step trains on the crop moved within this ball to raise the loss
    /// (0.035 is 2/255 of the 0-255 range under ImageNet's deviation).
    /// </summary>
    public required float Epsilon { get; init; }

    /// <summary>
    /// alpha of Goodfellow et al.'s (ICLR 2015) objective alpha L(x) + (1 - alpha) L(x_adv), with L(x) taken at the random
    /// start: 0.5, theirs. On the adversarial crops alone (0), the ImageNet ResNet-18 with frozen early stages stayed near
    /// chance on the synthetic set (val mAP 0.35 after an epoch at epsilon 2/255; 0.83 without FGSM).
    /// </summary>
    public float CleanWeight { get; init; } = DefaultCleanWeight;

    public const float DefaultCleanWeight = 0.5f;

    /// <summary>Throws <see cref="ArgumentException"/> naming the field (and its command-line option) and its allowed range.</summary>
    public FgsmTrainingOptions Validate()
    {
        Require(Epsilon is > 0f and <= 10f, "the FGSM radius (--fgsm-epsilon)", "must be above 0 and at most 10", Epsilon);
        Require(CleanWeight is >= 0f and < 1f, "the clean loss's weight (--fgsm-clean-weight)", "must be in [0, 1)", CleanWeight);
        return this;
    }
}
