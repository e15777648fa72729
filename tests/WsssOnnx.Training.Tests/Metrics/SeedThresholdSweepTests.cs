using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Evaluation;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Training.Metrics;

namespace WsssOnnx.Training.Tests.Metrics;

/// <summary>The seed-threshold sweep on hand-made maps of one class over a 8x8 image whose left half is the object.</summary>
public sealed class SeedThresholdSweepTests
{
    private const int Side = 8;

    /// <summary>Class 0's map: <paramref name="inside"/> on the left half (the object), <paramref name="outside"/> elsewhere; and the mask.</summary>
    private static (ClassMaps Maps, GrayImage Mask) Image(float inside, float outside)
    {
        var map = new float[Side * Side];
        var mask = new GrayImage(Side, Side);
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
            {
                bool obj = x < Side / 2;
                map[y * Side + x] = obj ? inside : outside;
                mask.Pixels[y * Side + x] = (byte)(obj ? 1 : 0);
            }
        var full = new HostTensor<float>(map, 1, Side, Side);
        return (new ClassMaps([0], full, full), mask);
    }

    private static CamSeedScores Sweep(float inside, float outside)
    {
        var sweep = new SeedThresholdSweep(classCount: 2, defaultThreshold: 0.15f);
        var (maps, mask) = Image(inside, outside);
        sweep.Add(maps, mask);
        return sweep.Scores();
    }

    [Fact]
    public void Maps_that_spill_over_the_background_get_a_threshold_above_one_half()
    {
        // A broad localiser: the background reaches 0.62 of the peak, the object 0.8. Only a threshold in [0.62, 0.8) separates them.
        var scores = Sweep(inside: 0.8f, outside: 0.62f);
        Assert.Equal(0.65f, scores.BestThreshold);
        Assert.True(scores.BestThreshold > 0.5f);
        Assert.Equal(1.0, scores.BestMeanIoU, 1e-12);
        Assert.False(scores.BestAtSweepEdge);
        Assert.Null(scores.EdgeWarning("CAM"));
        // At the default 0.15 every pixel is the object: background IoU 0, object IoU 1/2.
        Assert.Equal(0.15f, scores.DefaultThreshold);
        Assert.Equal(0.25, scores.MeanIoUAtDefault, 1e-12);
        Assert.Equal(1, scores.Images);
    }

    [Fact]
    public void A_best_threshold_on_the_sweeps_edge_is_flagged_with_a_warning()
    {
        // Only 0.95 separates a background at 0.93 from the object at 1; only 0.0001 one at 0.00005 from the object at 0.00015.
        var high = Sweep(inside: 1.0f, outside: 0.93f);
        Assert.Equal(SeedThresholdGrid.Default[^1], high.BestThreshold);
        Assert.Equal(0.95f, high.BestThreshold);
        Assert.True(high.BestAtSweepEdge);
        Assert.Contains("ACoL's best seed threshold 0.95 is the highest the sweep tries", high.EdgeWarning("ACoL"));

        Assert.Equal(1.0, high.BestMeanIoU, 1e-12);
        var low = Sweep(inside: 0.00015f, outside: 0.00005f);
        Assert.Equal(SeedThresholdGrid.Default[0], low.BestThreshold);
        Assert.Equal(1.0, low.BestMeanIoU, 1e-12);
        Assert.True(low.BestAtSweepEdge);
        Assert.Contains("is the lowest the sweep tries", low.EdgeWarning("CAM"));
    }

    [Fact]
    public void The_sweep_runs_from_0_0001_to_0_95_in_rising_steps_with_IRNs_default_on_it()
    {
        var grid = SeedThresholdGrid.Default;
        Assert.Equal(0.0001f, grid[0]);
        Assert.Equal(0.95f, grid[^1]);
        Assert.Contains(0.15f, grid);
        Assert.Contains(0.65f, grid);
        for (int i = 1; i < grid.Count; i++) Assert.True(grid[i] > grid[i - 1], $"the grid rises at {i}");
    }
}
