using static WsssOnnx.Graph.Networks.OptionRules;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// ECS-Net's settings (Sun et al., ICCV 2021). The erasing threshold delta = 0.6 is the paper's; the paper's official
/// code was not available to us, so the blur, the reliable-pixel thresholds and the loss weight are our choices
/// (docs/training.md says which).
/// </summary>
public sealed record ErasedCamSupervisionOptions
{
    /// <summary>delta: pixels whose max-normalised CAM (of any image class) exceeds it are blurred out.</summary>
    public float Threshold { get; init; } = 0.6f;

    /// <summary>Weight of the ECS loss beside the classification loss (our choice: 1).</summary>
    public float Weight { get; init; } = 1f;

    /// <summary>
    /// Weight of the erased crop's own classification loss (our reading of the abstract's "erasing distinguishing features
    /// forces networks to collect new ones": the network is trained to classify the erased image too); 0: the erased branch is a target only.
    /// </summary>
    public float ErasedClassificationWeight { get; init; } = 1f;

    /// <summary>The erased image's normalised CAM at or above this marks a reliable foreground pixel (IRN's confident-foreground 0.30).</summary>
    public float Foreground { get; init; } = 0.30f;

    /// <summary>Both images' normalised CAMs below this mark a reliable background pixel (IRN's confident-background 0.05).</summary>
    public float Background { get; init; } = 0.05f;

    /// <summary>Standard deviation, in input pixels, of the Gaussian blur that erases (kernel radius ceil(3 sigma)).</summary>
    public float BlurSigma { get; init; } = 5f;

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and its allowed range.</summary>
    public ErasedCamSupervisionOptions Validate()
    {
        Require(Threshold is > 0f and < 1f, Field(nameof(Threshold)), "must be between 0 and 1 (exclusive)", Threshold);
        Require(Weight is > 0f and <= 100f, Field(nameof(Weight)), "must be above 0 and at most 100", Weight);
        Require(ErasedClassificationWeight is >= 0f and <= 100f, Field(nameof(ErasedClassificationWeight)), "must be between 0 and 100", ErasedClassificationWeight);
        Require(Background is > 0f and < 1f, Field(nameof(Background)), "must be between 0 and 1 (exclusive)", Background);
        Require(Foreground > Background && Foreground <= 1f, Field(nameof(Foreground)), $"must be above {Field(nameof(Background))} ({Background}) and at most 1", Foreground);
        Require(BlurSigma is >= 0.5f and <= 64f, Field(nameof(BlurSigma)), "must be between 0.5 and 64 pixels", BlurSigma);
        return this;
    }

    private static string Field(string name) => "ECS " + name;
}
