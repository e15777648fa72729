using WsssOnnx.Attribution.Evaluation;
using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Training.Metrics;

/// <summary>Seed quality of CAM or AdvCAM maps on a labelled split: mIoU at the default background threshold and at the best one of a sweep.</summary>
public sealed record CamSeedScores(double MeanIoUAtDefault, float DefaultThreshold, double BestMeanIoU, float BestThreshold, ConfusionMatrix AtDefault, int Images)
{
    /// <summary>The best threshold is the sweep's lowest or highest, so the maps' own best may lie beyond the grid.</summary>
    public bool BestAtSweepEdge => SweepEdge.Of(SeedThresholdGrid.Default, BestThreshold) is not null;

    /// <summary>A warning line for a best threshold on the sweep's edge, naming <paramref name="maps"/> (e.g. "CAM"); null otherwise.</summary>
    public string? EdgeWarning(string maps) => SweepEdge.Of(SeedThresholdGrid.Default, BestThreshold) is not { } edge ? null :
        $"warning: {maps}'s best seed threshold {BestThreshold} is the {edge} " +
        $"the sweep tries ({SeedThresholdGrid.Default[0]} to {SeedThresholdGrid.Default[^1]}); the maps' own best may lie beyond it " +
        "(inspect with relabel --save-maps and eval --maps; --threshold overrides it at inference)";

    /// <summary>How much of the objects the seeds cover: mean over foreground classes of TP / ground-truth pixels.</summary>
    public double ForegroundCoverage => AtDefault.MeanForegroundRecall;

    /// <summary>How much of what the seeds mark is right: mean over foreground classes of TP / predicted pixels.</summary>
    public double ForegroundPrecision => AtDefault.MeanForegroundPrecision;
}

public static class CamSeedEvaluation
{
    /// <summary>
    /// Seeds from the package's multi-scale class maps (CAM or AdvCAM, as <paramref name="parameters"/> say) of the first
    /// <paramref name="maxImages"/> images of <paramref name="source"/> (ground-truth image labels, as WSSS uses them),
    /// scored against their masks at every threshold of <see cref="SeedThresholdGrid.Default"/> (the best of which it reports) and at
    /// the parameters' background threshold. Images without a mask are skipped. <paramref name="progress"/> gets the number of images gone through.
    /// </summary>
    public static CamSeedScores Evaluate(PackagePipeline pipeline, LabelParameters parameters, ITrainingSource source, int maxImages = int.MaxValue,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxImages);
        var sweep = new SeedThresholdSweep(source.Classes.Count + 1, parameters.BackgroundThreshold);
        int count = Math.Min(source.Count, maxImages);
        for (int i = 0; i < count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var sample = source.Load(i, withMask: true);
            if (sample.Mask is not null)
            {
                var classes = Enumerable.Range(0, sample.Labels.Length).Where(c => sample.Labels[c] > 0.5f).ToArray();
                sweep.Add(pipeline.Maps(sample.Image, classes, parameters, cancellation), sample.Mask);
            }
            progress?.Report(i + 1);
        }
        return sweep.Scores();
    }
}
