using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.RandomWalk;
using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Tests.RandomWalk;

/// <summary>The sparse random walk against IRN's dense construction, and what it does to labels.</summary>
public sealed class RandomWalkTests
{
    // IRN's dense reference: A with a_ii = 1 and both (i, j) and (j, i) from the half-plane pairs, T = A / column sums,
    // T^(2^t) by squaring t times, rw = x T.
    private static double[] DenseWalk(float[] b, float[] x, int h, int w, RandomWalkOptions o)
    {
        int n = h * w;
        var a = new double[n, n];
        for (int i = 0; i < n; i++) a[i, i] = 1;
        foreach (var d in AffinityPaths.Of(o.Radius).Directions)
        {
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++)
                {
                    int ty = y + d.Dy, tx = xx + d.Dx;
                    if (ty >= h || tx < 0 || tx >= w) continue;
                    double max = d.Path.Max(p => (double)b[(y + p.Dy) * w + xx + p.Dx]);
                    double v = Math.Pow(1 - max, o.Beta);
                    a[y * w + xx, ty * w + tx] = v;
                    a[ty * w + tx, y * w + xx] = v;
                }
        }
        var t = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += a[i, j];
            for (int i = 0; i < n; i++) t[i, j] = a[i, j] / s;
        }
        for (int e = 0; e < o.ExpTimes; e++)
        {
            var sq = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int k = 0; k < n; k++)
                {
                    double tik = t[i, k];
                    if (tik == 0) continue;
                    for (int j = 0; j < n; j++) sq[i, j] += tik * t[k, j];
                }
            t = sq;
        }
        var rw = new double[n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++) rw[j] += x[i] * (1 - b[i]) * t[i, j];
        return rw;
    }

    [Theory]
    [InlineData(7, 9, 3, 5)]
    [InlineData(6, 4, 5, 3)]
    [InlineData(3, 11, 4, 8)]
    public void Sparse_walk_matches_dense_matrix_powers(int h, int w, int radius, int expTimes)
    {
        var random = new Random(h * 100 + w);
        var o = new RandomWalkOptions { Radius = radius, ExpTimes = expTimes, Beta = 3f };
        var b = new float[h * w];
        var x = new float[2 * h * w];
        for (int i = 0; i < b.Length; i++) b[i] = (float)random.NextDouble() * 0.6f;
        for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextDouble();

        var walked = global::WsssOnnx.Attribution.RandomWalk.RandomWalk.Propagate(new HostTensor<float>(x, 2, h, w), new HostTensor<float>(b, h, w), o);

        for (int c = 0; c < 2; c++)
        {
            var expected = DenseWalk(b, x[(c * h * w)..((c + 1) * h * w)], h, w, o);
            // float accumulation over 2^expTimes steps of averages in [0, 1]: 1e-4 absolute is ample.
            for (int i = 0; i < h * w; i++) Assert.Equal(expected[i], walked.Data[c * h * w + i], 1e-4);
        }
    }

    [Fact]
    public void A_boundary_wall_keeps_a_class_on_its_side()
    {
        const int h = 12, w = 16;
        var b = new float[h * w];
        var x = new float[h * w];
        for (int y = 0; y < h; y++)
        {
            b[y * w + 8] = 1f; // a closed vertical wall in column 8
            for (int c = 2; c < 5; c++) x[y * w + c] = 1f; // the class is seen in columns 2..4 only
        }
        var walked = global::WsssOnnx.Attribution.RandomWalk.RandomWalk.Propagate(new HostTensor<float>(x, 1, h, w), new HostTensor<float>(b, h, w)).Data;
        var open = global::WsssOnnx.Attribution.RandomWalk.RandomWalk.Propagate(new HostTensor<float>(x, 1, h, w), HostTensor<float>.Zeros(h, w)).Data;

        for (int y = 0; y < h; y++)
        {
            Assert.True(walked[y * w + 7] > 0.2f, $"the class spreads up to the wall: {walked[y * w + 7]}");
            Assert.True(walked[y * w + 12] < 1e-6f, $"nothing crosses the wall: {walked[y * w + 12]}");
            Assert.True(open[y * w + 12] > 0.05f, $"without the wall it does: {open[y * w + 12]}");
        }
    }

    [Fact]
    public void Labels_fill_the_region_the_boundary_closes_and_name_the_image_classes()
    {
        // 32x32 image, stride-4 grid 8x8; the boundary rings a 4x4 block of cells; the class map fires in its centre only.
        const int g = 8;
        var b = new float[g * g];
        var m = new float[g * g];
        for (int y = 1; y <= 6; y++)
            for (int x = 1; x <= 6; x++)
                if (y == 1 || y == 6 || x == 1 || x == 6) b[y * g + x] = 1f;
        m[3 * g + 3] = m[3 * g + 4] = m[4 * g + 3] = m[4 * g + 4] = 1f;
        var maps = new ClassMaps([4], new HostTensor<float>(m, 1, g, g), HostTensor<float>.Zeros(1, 32, 32));

        var labels = global::WsssOnnx.Attribution.RandomWalk.RandomWalk.Labels(maps, new HostTensor<float>(b, g, g));

        Assert.Equal(5, labels.Pixels[(4 * 2 + 2) * 32 + 4 * 2 + 2]); // inside the ring, off the original seed: class 4 + 1
        Assert.Equal(0, labels.Pixels[1 * 32 + 1]);                     // outside the ring
        Assert.Equal(0, labels.Pixels[30 * 32 + 30]);
        Assert.All(labels.Pixels, p => Assert.True(p is 0 or 5));
    }

    [Fact]
    public void Bad_settings_and_mismatched_grids_are_refused_with_the_field()
    {
        Assert.Contains("beta", Assert.Throws<ArgumentException>(() => new RandomWalkOptions { Beta = 0 }.Validate()).Message);
        Assert.Contains("exp_times", Assert.Throws<ArgumentException>(() => new RandomWalkOptions { ExpTimes = 40 }.Validate()).Message);
        Assert.Contains("grid", Assert.Throws<ArgumentException>(() =>
            global::WsssOnnx.Attribution.RandomWalk.RandomWalk.Propagate(HostTensor<float>.Zeros(1, 4, 4), HostTensor<float>.Zeros(5, 4))).Message);
    }
}
