using WsssOnnx.Graph.Networks;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Training.Tests.Loop;

/// <summary>The segmenter the trainer tests train in seconds, and its augmentation.</summary>
internal static class TinySegmenter
{
    /// <summary>DeepLab on a width-4 ResNet-18 at output stride 8, every stage trained on batch statistics, ASPP rates 1 and 2.</summary>
    public static DeepLabOptions Network { get; } = new()
    {
        Backbone = new ResNetOptions
        {
            Depth = 18,
            Width = 4,
            Layout = ResNetLayout.DilatedOutputStride8,
            TrainableStages = ResNetStages.All,
            BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Training },
        },
        AtrousRates = [1, 2],
    };

    /// <summary>Square crops of <paramref name="crop"/> pixels from images whose long side is within 2 pixels of it, no colour jitter.</summary>
    public static Augmentation Augmentation(int crop) => new() { CropSize = crop, LongSide = (crop - 2, crop + 2), ColourJitter = 0f };
}
