using static WsssOnnx.Graph.Networks.OptionRules;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// A ResNet backbone. Defaults are IRN's CAM backbone: ResNet-50 (torchvision v1.5 bottlenecks), width 64, output
/// stride 16, frozen batch normalisation, and only layer3 and layer4 trained (IRN freezes conv1/bn1 and detaches
/// stage2's output, so stem, layer1 and layer2 receive no update).
/// </summary>
public sealed record ResNetOptions
{
    /// <summary>18 or 34 (basic blocks), 50 or 101 (bottleneck blocks).</summary>
    public int Depth { get; init; } = 50;

    /// <summary>Base channel count: conv1 and layer1's planes (64 in the real networks; 4 to 16 for small CPU models).</summary>
    public int Width { get; init; } = 64;

    /// <summary>
    /// Basic or bottleneck blocks in layer4; 0 takes the depth's standard count (2 for ResNet-18). The CNTK export of
    /// the ImageNet ResNet-18 (<c>import-backbone</c>) has 3, so its every weight needs 3 here.
    /// </summary>
    public int Layer4Blocks { get; init; }

    public ResNetLayout Layout { get; init; } = ResNetLayout.OutputStride16;

    /// <summary>
    /// Stages whose convolution weights (and, with <see cref="BatchNormOptions.TrainAffine"/>, batch-norm scales and
    /// biases) are trainable parameters. Frozen stages always normalise with their running statistics.
    /// </summary>
    public ResNetStages TrainableStages { get; init; } = ResNetStages.Layer3 | ResNetStages.Layer4;

    public BatchNormOptions BatchNorm { get; init; } = new();

    /// <summary>Seed of the He-normal initialisation (parameters are drawn in creation order).</summary>
    public int Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and its allowed range.</summary>
    public ResNetOptions Validate()
    {
        Require(Depth is 18 or 34 or 50 or 101, nameof(Depth), "must be 18, 34, 50 or 101", Depth);
        Require(Width is >= 1 and <= 1024, nameof(Width), "must be between 1 and 1024", Width);
        Require(Layer4Blocks is >= 0 and <= 64, nameof(Layer4Blocks), "must be between 0 (the depth's standard) and 64", Layer4Blocks);
        Require(Enum.IsDefined(Layout), nameof(Layout), "must be OutputStride16, DilatedOutputStride8 or OutputStride32", Layout);
        Require((TrainableStages & ~ResNetStages.All) == 0, nameof(TrainableStages), "must combine Stem, Layer1, Layer2, Layer3 and Layer4", TrainableStages);
        Require(BatchNorm is not null, nameof(BatchNorm), "must be set", BatchNorm);
        BatchNorm!.Validate();
        return this;
    }

    /// <summary>The features' stride relative to the image: 16, 8 or 32 by <see cref="Layout"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int OutputStride => Layout switch
    {
        ResNetLayout.DilatedOutputStride8 => 8,
        ResNetLayout.OutputStride32 => 32,
        _ => 16,
    };

    internal bool Bottleneck => Depth >= 50;

    /// <summary>Blocks per stage, layer1 .. layer4.</summary>
    internal int[] Blocks
    {
        get
        {
            int[] blocks = Depth switch
            {
                18 => [2, 2, 2, 2],
                34 => [3, 4, 6, 3],
                50 => [3, 4, 6, 3],
                _ => [3, 4, 23, 3],
            };
            if (Layer4Blocks > 0) blocks[3] = Layer4Blocks;
            return blocks;
        }
    }

    internal int Expansion => Bottleneck ? 4 : 1;
}
