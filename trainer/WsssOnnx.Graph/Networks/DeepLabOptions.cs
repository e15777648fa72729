using static WsssOnnx.Graph.Networks.OptionRules;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// DeepLab-v2 (ASPP-L): defaults are the paper's ResNet-101 at output stride 8 with every convolution trained and
/// batch normalisation frozen (statistics and affine), rates 6/12/18/24, VOC's 21 classes (background included).
/// </summary>
public sealed record DeepLabOptions
{
    public ResNetOptions Backbone { get; init; } = new()
    {
        Depth = 101,
        Layout = ResNetLayout.DilatedOutputStride8,
        TrainableStages = ResNetStages.All,
        BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Frozen, TrainAffine = false },
    };

    /// <summary>Classes including background.</summary>
    public int Classes { get; init; } = 21;

    /// <summary>Dilations of the parallel 3x3 ASPP branches.</summary>
    public IReadOnlyList<int> AtrousRates { get; init; } = [6, 12, 18, 24];

    /// <summary>Seed of the ASPP initialisation (N(0, 0.01^2) weights, zero biases, as DeepLab-v2's classifier).</summary>
    public int Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and its allowed range.</summary>
    public DeepLabOptions Validate()
    {
        Require(Backbone is not null, nameof(Backbone), "must be set", Backbone);
        Backbone!.Validate();
        Require(Classes is >= 2 and <= 10000, nameof(Classes), "must be between 2 and 10000 (background included)", Classes);
        Require(AtrousRates is { Count: >= 1 } && AtrousRates.All(r => r is >= 1 and <= 256), nameof(AtrousRates),
            "must list one or more dilations between 1 and 256", AtrousRates is null ? null : $"[{string.Join(", ", AtrousRates)}]");
        return this;
    }
}
