using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Training.Loop;
using WsssOnnx.Training.Seeding;

using WsssOnnx.Training.Tests.Loop;

namespace WsssOnnx.Training.Tests.Seeding;

public sealed class SeedSupervisionTests
{
    private const int Batch = 2, Crop = 32, Classes = 3;

    private static readonly DeepLabOptions Network = TinySegmenter.Network with { Classes = Classes };

    /// <summary>A batch of noise images; crop labels: background left, class 1 (image 0) or 2 (image 1) right, unlabelled in the middle.</summary>
    private static (HostTensor<float> Images, HostTensor<long> Labels, HostTensor<float> ImageLabels) MakeBatch(int seed)
    {
        var rng = new Random(seed);
        var images = new HostTensor<float>([.. Enumerable.Range(0, Batch * 3 * Crop * Crop).Select(_ => (float)(rng.NextDouble() * 2 - 1))], Batch, 3, Crop, Crop);
        var labels = HostTensor<long>.Zeros(Batch, Crop, Crop);
        for (int n = 0; n < Batch; n++)
            for (int y = 0; y < Crop; y++)
                for (int x = 0; x < Crop; x++)
                    labels.Data[(n * Crop + y) * Crop + x] = x < 8 ? 0 : x >= 24 ? n + 1 : 255;
        var imageLabels = new HostTensor<float>([1f, 0f, 0f, 1f], Batch, Classes - 1);
        return (images, labels, imageLabels);
    }

    private static SeedSupervision Compute(SegmenterLossOptions loss, int seed)
    {
        var (images, labels, imageLabels) = MakeBatch(seed);
        var parameters = new ParameterStore(SeedSupervision.ForwardGraph(Network, images.Shape));
        var supervision = new SeedSupervision(loss, Network, new ImageNormalization(), 1, images, labels, imageLabels, Crop / 8, Crop / 8);
        supervision.Compute(parameters, step: 0);
        return supervision;
    }

    [Fact]
    public void Sec_targets_are_distributions_and_the_seeds_are_the_cell_centres_labels()
    {
        using var sec = Compute(new SegmenterLossOptions { Loss = SegmenterLoss.Sec }, 5);
        int plane = (Crop / 8) * (Crop / 8);
        for (int n = 0; n < Batch; n++)
        {
            for (int u = 0; u < plane; u++)
            {
                double sum = 0;
                for (int k = 0; k < Classes; k++)
                {
                    float q = sec.CrfTarget.Data[(n * Classes + k) * plane + u];
                    Assert.True(q >= SeedLosses.ProbabilityFloor / 1.01f, $"Q {q} is below the floor");
                    sum += q;
                }
                Assert.Equal(1.0, sum, 1e-5);
                // Cell x covers crop columns 8x..8x+7, its centre column 8x+4: columns < 8 background, >= 24 the image's class.
                int x = u % (Crop / 8);
                long expected = x == 0 ? 0 : x == 3 ? n + 1 : 255;
                Assert.Equal(expected, sec.SeedLabels.Data[n * plane + u]);
            }
        }
        Assert.Equal(1, sec.Steps);
    }

    [Fact]
    public void Dsrg_grows_the_seeds_on_the_crf_target_with_the_images_classes()
    {
        const int seed = 5;
        using var sec = Compute(new SegmenterLossOptions { Loss = SegmenterLoss.Sec }, seed);
        // Thresholds 0: every pixel can join its most probable class's region, so growth is decided by the classes and connectivity.
        using var dsrg = Compute(new SegmenterLossOptions { Loss = SegmenterLoss.Dsrg, BackgroundThreshold = 0f, ForegroundThreshold = 0f }, seed);
        int h = Crop / 8, plane = h * h;
        Assert.Equal(sec.CrfTarget.Data, dsrg.CrfTarget.Data);
        for (int n = 0; n < Batch; n++)
        {
            bool[] present = [true, n == 0, n == 1];
            var expected = SeededRegionGrowing.Grow(dsrg.CrfTarget.Data.AsSpan(n * Classes * plane, Classes * plane), sec.SeedLabels.Data.AsSpan(n * plane, plane),
                present, h, h, 0f, 0f);
            Assert.Equal(expected, dsrg.SeedLabels.Data.AsSpan(n * plane, plane).ToArray());
            // The seeds stay, and no pixel takes the class the image does not have.
            for (int u = 0; u < plane; u++)
            {
                long s = sec.SeedLabels.Data[n * plane + u], g = dsrg.SeedLabels.Data[n * plane + u];
                if (s != 255) Assert.Equal(s, g);
                Assert.NotEqual(n == 0 ? 2 : 1, g);
            }
        }
        Assert.True(dsrg.SeedLabels.Data.Count(l => l != 255) > sec.SeedLabels.Data.Count(l => l != 255), "with thresholds 0 the seeds grow");
        // With thresholds that nothing reaches, the seeds do not grow.
        using var none = Compute(new SegmenterLossOptions { Loss = SegmenterLoss.Dsrg, BackgroundThreshold = 0.9999f, ForegroundThreshold = 0.9999f }, seed);
        Assert.Equal(sec.SeedLabels.Data, none.SeedLabels.Data);
    }
}
