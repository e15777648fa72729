using WsssOnnx.Attribution.Evaluation;
using WsssOnnx.Attribution.Segmentation;
using WsssOnnx.Imaging;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Training.Metrics;

/// <summary>Segmenter quality on a labelled split: the confusion matrix of predicted against ground-truth label maps.</summary>
public static class SegmentationEvaluation
{
    public static ConfusionMatrix Evaluate(SegmentationPredictor predictor, ITrainingSource source, IProgress<int>? progress = null, CancellationToken cancellation = default) =>
        Evaluate(predictor.Predict, source, progress, cancellation);

    /// <summary>The same for any segmentation: <paramref name="segment"/> gives an image's label map at its size.</summary>
    public static ConfusionMatrix Evaluate(Func<RgbImage, CancellationToken, GrayImage> segment, ITrainingSource source, IProgress<int>? progress = null,
        CancellationToken cancellation = default)
    {
        var matrix = new ConfusionMatrix(source.Classes.Count + 1);
        for (int i = 0; i < source.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var sample = source.Load(i, withMask: true);
            if (sample.Mask is null) continue;
            matrix.Accumulate(segment(sample.Image, cancellation), sample.Mask);
            progress?.Report(i + 1);
        }
        return matrix;
    }
}
