using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.Evaluation;
using WsssOnnx.Imaging;
using WsssOnnx.Runtime;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Training.Metrics;

/// <summary>Seed quality of plain CAM on a labelled split: mIoU at the default background threshold and at the best one of a sweep.</summary>
public sealed record CamSeedScores(double MeanIoUAtDefault, float DefaultThreshold, double BestMeanIoU, float BestThreshold, ConfusionMatrix AtDefault, int Images)
{
    /// <summary>How much of the objects the seeds cover: mean over foreground classes of TP / ground-truth pixels.</summary>
    public double ForegroundCoverage => MeanOverForeground(c => (double)AtDefault.TruePositives(c) / AtDefault.GroundTruthPixels(c));

    /// <summary>How much of what the seeds mark is right: mean over foreground classes of TP / predicted pixels.</summary>
    public double ForegroundPrecision => MeanOverForeground(c => (double)AtDefault.TruePositives(c) / AtDefault.PredictedPixels(c));

    private double MeanOverForeground(Func<int, double> f)
    {
        var values = Enumerable.Range(1, AtDefault.ClassCount - 1).Select(f).Where(v => !double.IsNaN(v)).ToArray();
        return values.Length == 0 ? double.NaN : values.Average();
    }
}

public static class CamSeedEvaluation
{
    /// <summary>The sweep ADVCAM.md allows for evaluation: 0.05, 0.10, ..., 0.50.</summary>
    public static IReadOnlyList<float> SweepThresholds { get; } = [.. Enumerable.Range(1, 10).Select(i => i * 0.05f)];

    /// <summary>
    /// Multi-scale CAM seeds for every image of <paramref name="source"/> (ground-truth image labels, as WSSS uses them)
    /// scored against its masks. Images without a mask are skipped.
    /// </summary>
    public static CamSeedScores Evaluate(ModelSession classifier, ITrainingSource source, ImageNormalization normalization, float defaultThreshold = 0.15f,
        IReadOnlyList<float>? scales = null, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var cam = new AdvCamClimber(classifier, null, normalization);
        var options = scales is null ? AdvCamOptions.Cam : AdvCamOptions.Cam with { Scales = scales };
        int classCount = source.Classes.Count + 1;
        var matrices = SweepThresholds.Append(defaultThreshold).Distinct().ToDictionary(t => t, _ => new ConfusionMatrix(classCount));
        int images = 0;
        for (int i = 0; i < source.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var sample = source.Load(i, withMask: true);
            if (sample.Mask is null) continue;
            var classes = Enumerable.Range(0, sample.Labels.Length).Where(c => sample.Labels[c] > 0.5f).ToArray();
            var maps = cam.Climb(sample.Image, classes, options, cancellation: cancellation);
            foreach (var (threshold, matrix) in matrices) matrix.Accumulate(Seeds.FromMaps(maps, threshold), sample.Mask);
            images++;
            progress?.Report(i + 1);
        }
        var best = matrices.MaxBy(kv => kv.Value.MeanIntersectionOverUnion);
        return new CamSeedScores(matrices[defaultThreshold].MeanIntersectionOverUnion, defaultThreshold, best.Value.MeanIntersectionOverUnion, best.Key, matrices[defaultThreshold], images);
    }
}
