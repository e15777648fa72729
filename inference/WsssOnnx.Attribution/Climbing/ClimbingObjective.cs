namespace WsssOnnx.Attribution.Climbing;

/// <summary>
/// The two terms of the climbing objective on the host (ADVCAM.md step 5), for diagnostics and for the last step, which
/// runs the classifier graph and so gets no objective from ORT. Per pair p with class c:
/// L = Σ_b [y_c(b) − Σ_{k≠c} y_k(b)] − λ Σ_ij M |A_t − A_0|, with y_k(b) = mean ReLU(S_k(b)) and M = 1[A_t &gt; τ max A_t].
/// </summary>
internal static class ClimbingObjective
{
    /// <summary>Σ_b Σ_k y_k(b) (2·1[k = c] − 1) over the two copies of one pair, from its class maps S [2, C, h, w].</summary>
    public static double LogitTerm(ReadOnlySpan<float> pairMaps, int classes, int plane, int c)
    {
        double sum = 0;
        for (int b = 0; b < 2; b++)
        {
            for (int k = 0; k < classes; k++)
            {
                double y = 0;
                foreach (float s in pairMaps.Slice((b * classes + k) * plane, plane)) y += Math.Max(0f, s);
                sum += (k == c ? 1 : -1) * y / plane;
            }
        }
        return sum;
    }

    /// <summary>The logit term summed over all pairs, from the climbing graph's scores y [2P, C].</summary>
    public static double LogitTerm(ReadOnlySpan<float> scores, IReadOnlyList<int> targets)
    {
        int classes = scores.Length / (2 * targets.Count);
        double sum = 0;
        for (int copy = 0; copy < 2 * targets.Count; copy++)
        {
            for (int k = 0; k < classes; k++) sum += (k == targets[copy / 2] ? 1 : -1) * (double)scores[copy * classes + k];
        }
        return sum;
    }

    /// <summary>Σ_ij M |A_t − A_0| with the restriction mask M = 1[A_t &gt; τ max A_t] of the current map.</summary>
    public static double Regulariser(ReadOnlySpan<float> map, ReadOnlySpan<float> initial, float tau)
    {
        float threshold = tau * System.Numerics.Tensors.TensorPrimitives.Max(map);
        double sum = 0;
        for (int i = 0; i < map.Length; i++)
        {
            if (map[i] > threshold) sum += Math.Abs(map[i] - initial[i]);
        }
        return sum;
    }

    /// <summary><see cref="Regulariser(ReadOnlySpan{float}, ReadOnlySpan{float}, float)"/> summed over the planes of [P, h, w] maps.</summary>
    public static double Regulariser(float[] maps, float[] initial, int pairs, float tau)
    {
        int plane = maps.Length / pairs;
        double sum = 0;
        for (int p = 0; p < pairs; p++) sum += Regulariser(maps.AsSpan(p * plane, plane), initial.AsSpan(p * plane, plane), tau);
        return sum;
    }
}
