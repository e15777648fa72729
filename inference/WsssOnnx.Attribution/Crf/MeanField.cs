using System.Numerics;
using System.Runtime.InteropServices;

namespace WsssOnnx.Attribution.Crf;

/// <summary>
/// Pieces of mean-field inference shared by <see cref="DenseCrf"/> and <see cref="NaiveDenseCrf"/>. Marginals and
/// energies are pixel-major: pixel i's L labels at [i·stride, i·stride + L), stride = L rounded up to a whole number
/// of SIMD vectors, padding lanes zero.
/// </summary>
internal static class MeanField
{
    private const int ChunkSize = 1024;

    public static int Stride(int labelCount) => (labelCount + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count;

    /// <summary>q_i = softmax over the first <paramref name="labelCount"/> lanes of energy_i (energy = −U + messages).</summary>
    public static void Softmax(float[] energy, float[] q, int labelCount, int stride, ParallelOptions parallel)
    {
        int n = energy.Length / stride;
        ParallelChunks.For(n, ChunkSize, parallel, (from, to) =>
        {
            for (int i = from; i < to; i++)
                SoftmaxRow(energy.AsSpan(i * stride, stride), q.AsSpan(i * stride, stride), labelCount);
        });
    }

    private static void SoftmaxRow(ReadOnlySpan<float> energy, Span<float> q, int labelCount)
    {
        if (!Vector.IsHardwareAccelerated || q.Length % Vector<float>.Count != 0)
        {
            float top = energy[0];
            for (int l = 1; l < labelCount; l++) top = MathF.Max(top, energy[l]);
            float total = 0f;
            for (int l = 0; l < labelCount; l++) total += q[l] = MathF.Exp(energy[l] - top);
            for (int l = 0; l < labelCount; l++) q[l] /= total;
            q[labelCount..].Clear();
            return;
        }

        // Whole vectors; the padding lanes (label ≥ L) are masked out of the max and zeroed after the exp.
        ReadOnlySpan<Vector<float>> e = MemoryMarshal.Cast<float, Vector<float>>(energy);
        Span<Vector<float>> o = MemoryMarshal.Cast<float, Vector<float>>(q);
        int lastLabels = labelCount - (o.Length - 1) * Vector<float>.Count;   // real lanes in the last vector, 1..Count
        Vector<int> lastMask = Vector.LessThan(Vector<int>.Indices, new Vector<int>(lastLabels));
        var minusInfinity = new Vector<float>(float.NegativeInfinity);

        Vector<float> max = Vector.ConditionalSelect(lastMask, e[^1], minusInfinity);
        for (int v = 0; v < o.Length - 1; v++) max = Vector.Max(max, e[v]);
        float largest = max[0];
        for (int k = 1; k < Vector<float>.Count; k++) largest = MathF.Max(largest, max[k]);
        var shift = new Vector<float>(largest);

        Vector<float> sum = Vector<float>.Zero;
        for (int v = 0; v < o.Length; v++)
        {
            Vector<float> x = Vector.Exp(e[v] - shift);
            if (v == o.Length - 1) x = Vector.ConditionalSelect(lastMask, x, Vector<float>.Zero);
            o[v] = x;
            sum += x;
        }
        var inv = new Vector<float>(1f / Vector.Sum(sum));   // ≥ 1 before inverting: the maximum contributes exp(0)
        for (int v = 0; v < o.Length; v++) o[v] *= inv;
    }

    /// <summary>Index of the largest of the first <paramref name="labelCount"/> values; ties go to the lowest index (as numpy's argmax).</summary>
    public static int Argmax(ReadOnlySpan<float> row, int labelCount)
    {
        int best = 0;
        for (int l = 1; l < labelCount; l++)
            if (row[l] > row[best]) best = l;
        return best;
    }
}
