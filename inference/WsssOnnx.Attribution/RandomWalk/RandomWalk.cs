using System.Numerics.Tensors;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.RandomWalk;

/// <summary>
/// IRN's semantic random walk (make_sem_seg_labels.py, propagate_to_edge) on the stride-4 grid:
/// a_ij = 1 − max of B on the path from i to j (radius 5, pairs reaching outside the grid have a = 0), A = a^beta with
/// a_ii = 1, T = D^-1 A (D = diag of A's row sums; A is symmetric), and each class map x_c ← T^(2^exp_times) (x_c ⊙ (1 − B)).
/// The walk is sparse (about 2 x 34 neighbours at radius 5) and iterated step by step; repeated squaring would fill T.
/// </summary>
public static class RandomWalk
{
    /// <summary>
    /// Propagates <paramref name="maps"/> [K, h, w] over the boundary map <paramref name="boundary"/> ([h, w] or
    /// [1, 1, h, w], values in [0, 1]) and returns the walked maps [K, h, w].
    /// </summary>
    public static HostTensor<float> Propagate(HostTensor<float> maps, HostTensor<float> boundary, RandomWalkOptions? options = null, CancellationToken cancellation = default)
    {
        options = (options ?? new RandomWalkOptions()).Validate();
        if (maps.Rank != 3) throw new ArgumentException($"the class maps must be [K, h, w]; got [{string.Join(", ", maps.Shape)}]", nameof(maps));
        int k = (int)maps.Shape[0], h = (int)maps.Shape[1], w = (int)maps.Shape[2], n = h * w;
        if (boundary.Data.Length != n || boundary.Shape[^1] != w)
            throw new ArgumentException($"the boundary map ([{string.Join(", ", boundary.Shape)}]) must match the class maps' {h}x{w} grid", nameof(boundary));

        var transition = Transition.Of(boundary.Span, h, w, options);
        var result = HostTensor<float>.Zeros(k, h, w);
        Parallel.For(0, k, new ParallelOptions { CancellationToken = cancellation }, c =>
        {
            var x = new float[n];
            var y = new float[n];
            var source = maps.Span.Slice(c * n, n);
            var b = boundary.Span;
            for (int i = 0; i < n; i++) x[i] = source[i] * (1f - b[i]);
            for (int s = 0; s < options.Steps; s++)
            {
                if ((s & 15) == 0) cancellation.ThrowIfCancellationRequested();
                transition.Apply(x, y);
                (x, y) = (y, x);
            }
            x.CopyTo(result.Span.Slice(c * n, n));
        });
        return result;
    }

    /// <summary>
    /// Random-walk labels of an image (IRN's make_sem_seg_labels): the stride-4 maps of <paramref name="maps"/> walked
    /// over <paramref name="boundary"/>, upsampled x4 (bilinear, half-pixel) and cropped to the image, divided by their
    /// maximum, then argmax against a constant background of <see cref="RandomWalkOptions.BackgroundThreshold"/>.
    /// 0 = background, class k (0-based foreground index) as k + 1.
    /// </summary>
    public static GrayImage Labels(ClassMaps maps, HostTensor<float> boundary, RandomWalkOptions? options = null, CancellationToken cancellation = default)
    {
        options = (options ?? new RandomWalkOptions()).Validate();
        int k = maps.Classes.Count, h4 = (int)maps.Stride4.Shape[1], w4 = (int)maps.Stride4.Shape[2];
        if (k == 0) return new GrayImage(maps.Width, maps.Height);
        var walked = Propagate(maps.Stride4, boundary, options, cancellation);
        var up = ImageResize.Resize(walked, 4 * w4, 4 * h4, Interpolation.Bilinear);
        var full = HostTensor<float>.Zeros(k, maps.Height, maps.Width);
        int plane = maps.Height * maps.Width;
        for (int c = 0; c < k; c++)
        {
            for (int y = 0; y < maps.Height; y++)
                up.Span.Slice((c * 4 * h4 + y) * 4 * w4, maps.Width).CopyTo(full.Span.Slice(c * plane + y * maps.Width, maps.Width));
        }
        float max = TensorPrimitives.Max(full.Span);
        if (max > 0) TensorPrimitives.Divide(full.Span, max, full.Span);
        return Seeds.FromMaps(new ClassMaps(maps.Classes, walked, full), options.BackgroundThreshold);
    }

    /// <summary>T = D^-1 A as one weight plane per direction: W_d[i] = a(i, i + d)^beta, 0 where i + d is off the grid.</summary>
    private sealed class Transition
    {
        private readonly float[][] _weights;
        private readonly int[] _offsets;
        private readonly float[] _inverseDegree;

        private Transition(float[][] weights, int[] offsets, float[] inverseDegree)
        {
            _weights = weights;
            _offsets = offsets;
            _inverseDegree = inverseDegree;
        }

        public static Transition Of(ReadOnlySpan<float> boundary, int h, int w, RandomWalkOptions options)
        {
            var directions = AffinityPaths.Of(options.Radius).Directions;
            int n = h * w;
            var weights = new float[directions.Count][];
            var offsets = new int[directions.Count];
            var degree = new float[n];
            Array.Fill(degree, 1f); // a_ii = 1
            for (int d = 0; d < directions.Count; d++)
            {
                var dir = directions[d];
                var plane = weights[d] = new float[n];
                offsets[d] = dir.Dy * w + dir.Dx;
                for (int y = 0; y < h; y++)
                {
                    for (int x = 0; x < w; x++)
                    {
                        int ty = y + dir.Dy, tx = x + dir.Dx;
                        if (ty >= h || tx < 0 || tx >= w) continue; // IRN pads B with 1 there: a = 0
                        float a = MathF.Pow(Math.Clamp(AffinityPaths.PairAffinity(boundary, w, y, x, dir), 0f, 1f), options.Beta);
                        plane[y * w + x] = a;
                        degree[y * w + x] += a;
                        degree[ty * w + tx] += a; // the pair (j, i) of the other half-plane
                    }
                }
            }
            for (int i = 0; i < n; i++) degree[i] = 1f / degree[i];
            return new Transition(weights, offsets, degree);
        }

        // y_j = (x_j + sum_d W_d[j] x_{j+d} + sum_d W_d[j-d] x_{j-d}) / D_j: one step of x <- D^-1 A x.
        public void Apply(ReadOnlySpan<float> x, Span<float> y)
        {
            int n = x.Length;
            x.CopyTo(y);
            for (int d = 0; d < _offsets.Length; d++)
            {
                int o = _offsets[d], len = n - o;
                if (o <= 0 || o >= n) continue; // o <= 0 only when |dx| >= w: no pair on the grid
                var wd = _weights[d].AsSpan();
                TensorPrimitives.MultiplyAdd(wd[..len], x[o..], y[..len], y[..len]);
                TensorPrimitives.MultiplyAdd(wd[..len], x[..len], y[o..], y[o..]);
            }
            TensorPrimitives.Multiply(y, _inverseDegree, y);
        }
    }
}
