using System.Numerics;
using System.Runtime.InteropServices;

namespace WsssOnnx.Attribution.Crf;

/// <summary>
/// Gaussian filtering in a d-dimensional feature space on the permutohedral lattice (Adams, Baek and Davis,
/// "Fast High-Dimensional Filtering Using the Permutohedral Lattice", 2010): each point splats its value onto the
/// d+1 vertices of its enclosing simplex with barycentric weights, the lattice is blurred with [1 2 1]/4 along each
/// of its d+1 axes, and each point slices the blurred values back with the same weights. The result approximates
/// out_i = c · Σ_j exp(−½‖f_i − f_j‖²) in_j, the sum including j = i, for one constant c (callers normalise, so c
/// is never needed).
/// <para>
/// Built once per feature set and reused for every filtering (every mean-field iteration, all labels at once: a
/// vertex holds a row of values). Splatting scatters in pixel order (the per-pixel arrays stream, and the vertices a
/// pixel touches were mostly touched by the pixels just before it) into a few partial vertex buffers over pixel
/// ranges fixed by N and M, summed afterwards in a fixed order; blur and slice are gathers. So results do not
/// depend on the thread count. Measured: the blur's random neighbour reads dominate once M is large (textured
/// images), and a build costs about as much as five filterings of 21 channels (hash look-ups, also random).
/// </para>
/// </summary>
internal sealed class PermutohedralLattice
{
    private const int ChunkSize = 2048;
    private const int MinPixelsPerBuildChunk = 16384;

    // The coarse phases (one part per thread) check the cancellation token every this many pixels: a 1024² 5-D
    // lattice takes seconds to build on two cores, and a cancelled request must not wait for that.
    private const int CancellationBlock = 8192;
    private const int MaxSplatParts = 4;
    private const float MaxCoordinate = 1 << 28;   // elevated coordinates stay far inside int

    private readonly int _d1;               // d + 1: vertices per simplex and lattice axes
    private readonly int[] _vertex;         // [N·(d+1)]: vertex r of pixel i's simplex
    private readonly float[] _weight;       // [N·(d+1)]: its barycentric weight
    private readonly int[] _neighbours;     // [(d+1)·M·2]: along axis j, vertex v's neighbours v − u_j, v + u_j (M when absent)
    private readonly int _splatParts;       // pixel ranges splatted into separate buffers (1 when M is not small next to N)
    private float[][] _buffers = [];        // _splatParts + 1 buffers of [(M+1)·stride]; row M is the all-zero "absent" vertex

    private PermutohedralLattice(int pixelCount, int dimensions, int vertexCount, int[] vertex, float[] weight, int[] neighbours)
    {
        PixelCount = pixelCount;
        Dimensions = dimensions;
        VertexCount = vertexCount;
        _d1 = dimensions + 1;
        _vertex = vertex;
        _weight = weight;
        _neighbours = neighbours;
        // A partial buffer costs M rows to clear and to sum: worth it while each part splats more entries than that.
        _splatParts = (int)Math.Clamp((long)pixelCount * _d1 / (2L * Math.Max(vertexCount, 1)), 1, MaxSplatParts);
    }

    public int PixelCount { get; }

    public int Dimensions { get; }

    /// <summary>M: lattice vertices touched by the points' simplices.</summary>
    public int VertexCount { get; }

    /// <summary>
    /// Builds the lattice for <paramref name="features"/>: N points of <paramref name="dimensions"/> coordinates each,
    /// row-major, already divided by their standard deviations (so the kernel is exp(−½‖Δf‖²)).
    /// </summary>
    public static PermutohedralLattice Build(float[] features, int dimensions, ParallelOptions parallel)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        if (features.Length == 0 || features.Length % dimensions != 0)
            throw new ArgumentException($"{features.Length} feature values do not make whole {dimensions}-D points", nameof(features));
        int d = dimensions, d1 = d + 1;
        int n = features.Length / d;
        var vertex = new int[checked(n * d1)];
        var weight = new float[n * d1];

        // Each chunk of pixels fills its own hash table (vertex indices local to the chunk); the tables are then merged
        // into the first one and the chunks' indices remapped. Vertex numbering depends on the chunking, results do
        // not: no sum runs in vertex-index order.
        int threads = parallel.MaxDegreeOfParallelism > 0 ? parallel.MaxDegreeOfParallelism : Environment.ProcessorCount;
        int chunks = Math.Clamp(n / MinPixelsPerBuildChunk, 1, threads);
        int chunkSize = (n + chunks - 1) / chunks;
        var tables = new LatticeHashTable[chunks];
        Parallel.For(0, chunks, parallel, c =>
        {
            int from = c * chunkSize, to = Math.Min(n, from + chunkSize);
            tables[c] = new LatticeHashTable(d, Math.Max(16, (to - from) / 8));
            for (int block = from; block < to; block += CancellationBlock)
            {
                parallel.CancellationToken.ThrowIfCancellationRequested();
                LocateSimplices(features, d, block, Math.Min(to, block + CancellationBlock), tables[c], vertex, weight);
            }
        });
        LatticeHashTable table = tables[0];
        for (int c = 1; c < chunks; c++)
        {
            LatticeHashTable local = tables[c];
            var global = new int[local.Count];
            for (int v = 0; v < global.Length; v++)
            {
                if (v % CancellationBlock == 0) parallel.CancellationToken.ThrowIfCancellationRequested();
                global[v] = table.FindOrInsert(local.Key(v));
            }
            int first = c * chunkSize * d1, last = Math.Min(n, (c + 1) * chunkSize) * d1;
            for (int e = first; e < last; e++) vertex[e] = global[vertex[e]];
        }
        int m = table.Count;

        // Blur neighbours along lattice axis j: u_j = (d+1)·e_j − 1, i.e. −1 in every coordinate and +d in coordinate j
        // (for j = d only the implicit last coordinate gets +d, so the stored d coordinates all move by −1).
        var neighbours = new int[checked(d1 * m * 2)];
        ParallelChunks.For(m, ChunkSize, parallel, (from, to) =>
        {
            Span<int> lower = stackalloc int[d];
            Span<int> upper = stackalloc int[d];
            for (int v = from; v < to; v++)
            {
                ReadOnlySpan<int> key = table.Key(v);
                for (int j = 0; j < d1; j++)
                {
                    for (int k = 0; k < d; k++)
                    {
                        int step = k == j ? d : -1;
                        lower[k] = key[k] - step;
                        upper[k] = key[k] + step;
                    }
                    int below = table.Find(lower), above = table.Find(upper);
                    neighbours[(j * m + v) * 2] = below < 0 ? m : below;
                    neighbours[(j * m + v) * 2 + 1] = above < 0 ? m : above;
                }
            }
        });

        return new PermutohedralLattice(n, d, m, vertex, weight, neighbours);
    }

    /// <summary>
    /// For pixels [from, to): the enclosing simplex's d+1 vertices (inserted into <paramref name="table"/>) and the
    /// barycentric weights, into <paramref name="vertex"/> and <paramref name="weight"/> at [i·(d+1), i·(d+1) + d].
    /// </summary>
    private static void LocateSimplices(float[] features, int d, int from, int to, LatticeHashTable table, int[] vertex, float[] weight)
    {
        int d1 = d + 1;
        float invD1 = 1f / d1;

        // Elevation onto the hyperplane H_d = {x ∈ R^(d+1) : Σx = 0}: x = σ·U·f with U the orthonormal Helmert
        // basis (column k: ones in rows 0..k, −(k+1) in row k+1, divided by √((k+1)(k+2))) and σ = √(2/3)·(d+1),
        // the scale Adams et al. choose so that splat + [1 2 1] blur along d+1 axes + slice has unit variance per axis
        // (measured: 0.94–1.06 depending on where a point falls in its simplex, 1.00 on average).
        double sigma = Math.Sqrt(2.0 / 3.0) * d1;
        Span<float> scale = stackalloc float[d];
        for (int k = 0; k < d; k++) scale[k] = (float)(sigma / Math.Sqrt((k + 1.0) * (k + 2.0)));

        Span<float> elevated = stackalloc float[d1];
        Span<int> nearest = stackalloc int[d1];      // the nearest remainder-0 lattice point (coordinates ≡ 0 mod d+1)
        Span<int> rank = stackalloc int[d1];         // rank[k]: how many coordinates of (x − nearest) exceed coordinate k
        Span<float> barycentric = stackalloc float[d1 + 1];
        Span<int> key = stackalloc int[d];

        for (int i = from; i < to; i++)
        {
            ReadOnlySpan<float> f = features.AsSpan(i * d, d);
            float tail = 0f;
            for (int k = d - 1; k >= 0; k--)
            {
                float c = f[k] * scale[k];
                elevated[k + 1] = tail - (k + 1) * c;
                tail += c;
            }
            elevated[0] = tail;

            // Round each coordinate to a multiple of d+1; the rounded point may be off the hyperplane by `excess`·(d+1).
            int excess = 0;
            for (int k = 0; k < d1; k++)
            {
                if (!(MathF.Abs(elevated[k]) < MaxCoordinate))   // also NaN
                    throw new ArgumentException($"point {i} has feature values too large (or not finite) for the lattice's integer coordinates", nameof(features));
                int multiple = (int)MathF.Round(elevated[k] * invD1, MidpointRounding.AwayFromZero);   // half away from zero, as C round()
                nearest[k] = multiple * d1;
                excess += multiple;
            }
            rank.Clear();
            for (int k = 0; k < d; k++)
            {
                float dk = elevated[k] - nearest[k];
                for (int q = k + 1; q < d1; q++)
                {
                    int below = dk < elevated[q] - nearest[q] ? 1 : 0;   // branch-free: the comparisons are coin flips
                    rank[k] += below;
                    rank[q] += 1 - below;
                }
            }
            // Back onto the hyperplane: shifting the ranks by `excess` moves the coordinates whose rank wraps by ∓(d+1).
            for (int k = 0; k < d1; k++)
            {
                rank[k] += excess;
                if (rank[k] < 0)
                {
                    rank[k] += d1;
                    nearest[k] += d1;
                }
                else if (rank[k] > d)
                {
                    rank[k] -= d1;
                    nearest[k] -= d1;
                }
            }

            // Barycentric weights (Adams et al. §4): with y = x − nearest sorted decreasingly, b_r = (y_(d−r) − y_(d+1−r))/(d+1)
            // for r ≥ 1 and b_0 = 1 − (y_(0) − y_(d))/(d+1).
            barycentric.Clear();
            for (int k = 0; k < d1; k++)
            {
                float v = (elevated[k] - nearest[k]) * invD1;
                barycentric[d - rank[k]] += v;
                barycentric[d - rank[k] + 1] -= v;
            }
            barycentric[0] += 1f + barycentric[d1];

            for (int r = 0; r < d1; r++) weight[i * d1 + r] = barycentric[r];

            // Vertex r of the simplex: nearest + the canonical simplex's vertex r permuted by rank, i.e. coordinate k
            // gets +r when rank[k] ≤ d − r and r − (d+1) otherwise. Only d coordinates are keys (they sum to zero).
            for (int r = 0; r < d1; r++)
            {
                for (int k = 0; k < d; k++) key[k] = nearest[k] + (rank[k] <= d - r ? r : r - d1);
                vertex[i * d1 + r] = table.FindOrInsert(key);
            }
        }
    }

    /// <summary>
    /// output_i (+)= factor · s_i · Σ_j K_ij s_j input_j for rows of <paramref name="stride"/> floats per point, where K
    /// is the lattice kernel and s = <paramref name="pixelScale"/> (all ones when null). With s = D^(−1/2), D = K·1, this
    /// is the symmetrically normalised filter. Not thread-safe: one lattice serves one caller at a time.
    /// </summary>
    public void Filter(float[] input, float[] output, int stride, float[]? pixelScale, float factor, bool accumulate, ParallelOptions parallel)
    {
        int n = PixelCount, m = VertexCount;
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, "stride must be at least 1");
        if (input.Length != (long)n * stride) throw new ArgumentException($"input has {input.Length} values, expected {n}x{stride}", nameof(input));
        if (output.Length != (long)n * stride) throw new ArgumentException($"output has {output.Length} values, expected {n}x{stride}", nameof(output));
        if (pixelScale is not null && pixelScale.Length != n) throw new ArgumentException($"pixelScale has {pixelScale.Length} values, expected {n}", nameof(pixelScale));

        long rows = (long)(m + 1) * stride;
        if (_buffers.Length == 0 || _buffers[0].Length != rows)
        {
            // (m + 1)·stride floats each: hundreds of MB for a 1024² image with many colours, so check between them.
            var fresh = new float[_splatParts + 1][];
            for (int b = 0; b < fresh.Length; b++)
            {
                parallel.CancellationToken.ThrowIfCancellationRequested();
                fresh[b] = new float[rows];
            }
            _buffers = fresh;
        }

        // Splat: part p scatters pixels [p·N/P, (p+1)·N/P) into buffer p; parts 1.. are then added into buffer 0 in order.
        int parts = _splatParts, partSize = (n + parts - 1) / parts;
        float[][] buffers = _buffers;
        Parallel.For(0, parts, parallel, p =>
        {
            Array.Clear(buffers[p]);
            int end = Math.Min(n, (p + 1) * partSize);
            for (int block = p * partSize; block < end; block += CancellationBlock)
            {
                parallel.CancellationToken.ThrowIfCancellationRequested();
                Splat(input, buffers[p], stride, pixelScale, block, Math.Min(end, block + CancellationBlock));
            }
        });
        if (parts > 1)
            ParallelChunks.For(m, ChunkSize, parallel, (from, to) =>
            {
                Span<float> sum = buffers[0].AsSpan(from * stride, (to - from) * stride);
                for (int p = 1; p < parts; p++) TensorAdd(buffers[p].AsSpan(from * stride, (to - from) * stride), sum);
            });

        // Blur along each axis, ping-ponging between buffer 0 and the spare last buffer.
        float[] current = buffers[0], next = buffers[parts];
        for (int j = 0; j < _d1; j++)
        {
            float[] src = current, dst = next;
            int axis = j;
            ParallelChunks.For(m, ChunkSize, parallel, (from, to) => Blur(axis, src, dst, stride, from, to));
            (current, next) = (next, current);
        }

        float[] blurred = current;
        ParallelChunks.For(n, ChunkSize, parallel, (from, to) => Slice(blurred, output, stride, pixelScale, factor, accumulate, from, to));
    }

    // The three phases work on whole SIMD vectors when the stride allows (the CRF pads its rows so it does) and fall
    // back to scalars otherwise (the one-channel normaliser). Indices come from Build and sizes are checked in Filter,
    // so the vector paths read and write without bounds checks.

    // values_{vertex_ir} += b_ir·s_i·input_i for pixels [from, to).
    private void Splat(float[] input, float[] values, int stride, float[]? scale, int from, int to)
    {
        int d1 = _d1;
        int[] vertex = _vertex;
        float[] weight = _weight;
        if (stride % Vector<float>.Count != 0)
        {
            for (int i = from; i < to; i++)
            {
                float s = scale is null ? 1f : scale[i];
                for (int r = 0; r < d1; r++)
                {
                    int row = vertex[i * d1 + r] * stride;
                    float w = s * weight[i * d1 + r];
                    for (int k = 0; k < stride; k++) values[row + k] += w * input[i * stride + k];
                }
            }
            return;
        }

        ref float src = ref MemoryMarshal.GetArrayDataReference(input);
        ref float dst = ref MemoryMarshal.GetArrayDataReference(values);
        for (int i = from; i < to; i++)
        {
            float s = scale is null ? 1f : scale[i];
            long pixel = (long)i * stride;
            for (int r = 0; r < d1; r++)
            {
                long row = (long)vertex[i * d1 + r] * stride;
                var w = new Vector<float>(s * weight[i * d1 + r]);
                for (int k = 0; k < stride; k += Vector<float>.Count)
                {
                    nuint at = (nuint)(row + k);
                    Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref src, (nuint)(pixel + k)), w, Vector.LoadUnsafe(ref dst, at)).StoreUnsafe(ref dst, at);
                }
            }
        }
    }

    // sum += part
    private static void TensorAdd(ReadOnlySpan<float> part, Span<float> sum)
    {
        int k = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<float>> a = MemoryMarshal.Cast<float, Vector<float>>(part);
            Span<Vector<float>> b = MemoryMarshal.Cast<float, Vector<float>>(sum);
            for (int q = 0; q < a.Length; q++) b[q] += a[q];
            k = a.Length * Vector<float>.Count;
        }
        for (; k < part.Length; k++) sum[k] += part[k];
    }

    // dst_v = ½·src_v + ¼·(src_{v−u_j} + src_{v+u_j}) along lattice axis j: the [1 2 1]/4 blur.
    private void Blur(int axis, float[] source, float[] target, int stride, int from, int to)
    {
        int m = VertexCount;
        int[] neighbours = _neighbours;
        if (stride % Vector<float>.Count != 0)
        {
            for (int v = from; v < to; v++)
            {
                int below = neighbours[(axis * m + v) * 2], above = neighbours[(axis * m + v) * 2 + 1];
                for (int k = 0; k < stride; k++)
                    target[v * stride + k] = 0.5f * source[v * stride + k] + 0.25f * (source[below * stride + k] + source[above * stride + k]);
            }
            return;
        }

        ref float src = ref MemoryMarshal.GetArrayDataReference(source);
        ref float dst = ref MemoryMarshal.GetArrayDataReference(target);
        var half = new Vector<float>(0.5f);
        var quarter = new Vector<float>(0.25f);
        for (int v = from; v < to; v++)
        {
            long centre = (long)v * stride;
            long below = (long)neighbours[(axis * m + v) * 2] * stride, above = (long)neighbours[(axis * m + v) * 2 + 1] * stride;
            for (int k = 0; k < stride; k += Vector<float>.Count)
            {
                Vector<float> sides = Vector.LoadUnsafe(ref src, (nuint)(below + k)) + Vector.LoadUnsafe(ref src, (nuint)(above + k));
                Vector.FusedMultiplyAdd(sides, quarter, Vector.LoadUnsafe(ref src, (nuint)(centre + k)) * half)
                    .StoreUnsafe(ref dst, (nuint)(centre + k));
            }
        }
    }

    // output_i (+)= factor·s_i·Σ_r b_ir·values_{vertex_ir}, for pixels [from, to).
    private void Slice(float[] values, float[] output, int stride, float[]? scale, float factor, bool accumulate, int from, int to)
    {
        int d1 = _d1;
        int[] vertex = _vertex;
        float[] weight = _weight;
        if (stride % Vector<float>.Count != 0)
        {
            for (int i = from; i < to; i++)
            {
                float s = scale is null ? factor : factor * scale[i];
                for (int k = 0; k < stride; k++)
                {
                    float sum = 0f;
                    for (int r = 0; r < d1; r++) sum += weight[i * d1 + r] * values[vertex[i * d1 + r] * stride + k];
                    output[i * stride + k] = (accumulate ? output[i * stride + k] : 0f) + s * sum;
                }
            }
            return;
        }

        ref float src = ref MemoryMarshal.GetArrayDataReference(values);
        ref float dst = ref MemoryMarshal.GetArrayDataReference(output);
        for (int i = from; i < to; i++)
        {
            var s = new Vector<float>(scale is null ? factor : factor * scale[i]);
            int e0 = i * d1;
            for (int k = 0; k < stride; k += Vector<float>.Count)
            {
                Vector<float> sum = Vector<float>.Zero;
                for (int r = 0; r < d1; r++)
                    sum = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref src, (nuint)((long)vertex[e0 + r] * stride + k)), new Vector<float>(weight[e0 + r]), sum);
                nuint at = (nuint)((long)i * stride + k);
                (accumulate ? Vector.FusedMultiplyAdd(sum, s, Vector.LoadUnsafe(ref dst, at)) : sum * s).StoreUnsafe(ref dst, at);
            }
        }
    }
}
