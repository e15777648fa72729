using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Evaluation;
using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Imaging;

namespace WsssOnnx.Training.Metrics;

/// <summary>
/// Seeds of many images' class maps scored against their masks at every background threshold of
/// <see cref="SeedThresholdGrid.Default"/> and at a default one; the best threshold is the sweep's.
/// </summary>
public sealed class SeedThresholdSweep
{
    private readonly Dictionary<float, ConfusionMatrix> _matrices;
    private readonly float _default;
    private int _images;

    /// <param name="classCount">Labels of the masks, background included.</param>
    public SeedThresholdSweep(int classCount, float defaultThreshold)
    {
        _default = defaultThreshold;
        _matrices = SeedThresholdGrid.Default.Append(defaultThreshold).Distinct().ToDictionary(t => t, _ => new ConfusionMatrix(classCount));
    }

    /// <summary>Adds one image: its seeds at every threshold against <paramref name="mask"/> (255 ignored).</summary>
    public void Add(ClassMaps maps, GrayImage mask)
    {
        foreach (var (threshold, matrix) in _matrices) matrix.Accumulate(PackagePipeline.Seeds(maps, threshold), mask);
        _images++;
    }

    /// <summary>The scores so far: at the default threshold and at the sweep's best (the first on ties).</summary>
    public CamSeedScores Scores()
    {
        float best = SeedThresholdGrid.Default.MaxBy(t => _matrices[t].MeanIntersectionOverUnion);
        return new CamSeedScores(_matrices[_default].MeanIntersectionOverUnion, _default, _matrices[best].MeanIntersectionOverUnion, best, _matrices[_default], _images);
    }
}
