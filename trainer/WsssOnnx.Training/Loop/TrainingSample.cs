using WsssOnnx.Imaging;

namespace WsssOnnx.Training.Loop;

/// <summary>One decoded training image: multi-hot foreground labels and, where known, its label map (0 = background, 255 = ignore).</summary>
public sealed record TrainingSample(string Id, RgbImage Image, float[] Labels, GrayImage? Mask);

/// <summary>Where training images come from (a VOC-layout dataset, or a test's in-memory set).</summary>
public interface ITrainingSource
{
    /// <summary>Foreground class names (the classifier's outputs, in order).</summary>
    IReadOnlyList<string> Classes { get; }

    int Count { get; }

    string IdOf(int index);

    /// <summary>Decodes sample <paramref name="index"/>; throws with the file and reason if it cannot.</summary>
    TrainingSample Load(int index, bool withMask = false);
}
