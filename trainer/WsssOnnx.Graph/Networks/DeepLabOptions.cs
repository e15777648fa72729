using System.Text.Json.Serialization;
using static WsssOnnx.Graph.Networks.OptionRules;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// DeepLab-v2 (ASPP-L) or DeepLab-v3 (<see cref="Head"/>): defaults are the paper's ResNet-101 at output stride 8 with every convolution trained and
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

    /// <summary>Which ASPP sits on the backbone; DeepLab-v2's unless chosen.</summary>
    public DeepLabHead Head { get; init; } = DeepLabHead.DeepLabV2;

    /// <summary>Dilations of the parallel 3x3 ASPP branches.</summary>
    public IReadOnlyList<int> AtrousRates { get; init; } = [6, 12, 18, 24];

    /// <summary>
    /// DeepLab-v3's rates at output stride 16 (section 3.3; the paper doubles them at stride 8). Kept at stride 8: on our
    /// small crops (16x16 features at 128 px) doubled rates of 24 and 36 would see only padding beyond the centre tap.
    /// </summary>
    public static IReadOnlyList<int> DeepLabV3AtrousRates { get; } = [6, 12, 18];

    /// <summary>
    /// How DeepLab-v3's head normalises (its layers train with batch statistics, as the paper's); evaluation and export
    /// switch it with <see cref="WithBatchNormMode"/>. Not in run.json: a run always trains it in this mode.
    /// </summary>
    [JsonIgnore]
    public BatchNormMode HeadBatchNormMode { get; init; } = BatchNormMode.Training;

    /// <summary>DeepLab-v3's ASPP width: 256 channels at the standard width 64, so 4 x the backbone's base width.</summary>
    public long AsppChannels() => 4L * Backbone.Width;

    /// <summary>The same network with every batch normalisation, backbone and head, in <paramref name="mode"/> (eval: Frozen; export: Folded).</summary>
    public DeepLabOptions WithBatchNormMode(BatchNormMode mode) =>
        this with { Backbone = Backbone with { BatchNorm = Backbone.BatchNorm with { Mode = mode } }, HeadBatchNormMode = mode };

    /// <summary>Seed of the ASPP initialisation (N(0, 0.01^2) weights, zero biases, as DeepLab-v2's classifier).</summary>
    public int Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and its allowed range.</summary>
    public DeepLabOptions Validate()
    {
        Require(Backbone is not null, nameof(Backbone), "must be set", Backbone);
        Backbone!.Validate();
        Require(Enum.IsDefined(Head), nameof(Head), "must be DeepLabV2 or DeepLabV3", Head);
        Require(Enum.IsDefined(HeadBatchNormMode), nameof(HeadBatchNormMode), "must be Frozen, Folded or Training", HeadBatchNormMode);
        Require(Classes is >= 2 and <= 10000, nameof(Classes), "must be between 2 and 10000 (background included)", Classes);
        Require(AtrousRates is { Count: >= 1 } && AtrousRates.All(r => r is >= 1 and <= 256), nameof(AtrousRates),
            "must list one or more dilations between 1 and 256", AtrousRates is null ? null : $"[{string.Join(", ", AtrousRates)}]");
        return this;
    }
}
