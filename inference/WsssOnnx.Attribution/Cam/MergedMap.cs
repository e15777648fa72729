namespace WsssOnnx.Attribution.Cam;

/// <summary>
/// The merged attribution of one class over an (image, flipped image) pair, as the climbing graph computes it:
/// A = g(0) ReLU(S_c(x)) + flip(g(1) ReLU(S_c(flip x))), with the Grad-CAM scale
/// g(b) = N_pos(b) / (K_pos(c) sum_b N_pos(b)) (ADVCAM.md "Scale g"; 0 where nothing is positive).
/// </summary>
internal static class MergedMap
{
    /// <param name="maps">Class maps S of the pair, [2, C, h, w] flattened.</param>
    /// <param name="positiveWeights">K_pos per class.</param>
    public static float[] Compute(ReadOnlySpan<float> maps, int classes, int height, int width, int c, float positiveWeights)
    {
        int plane = height * width;
        var s0 = maps.Slice(c * plane, plane);
        var s1 = maps.Slice((classes + c) * plane, plane);
        int n0 = 0, n1 = 0;
        foreach (float v in s0) if (v > 0) n0++;
        foreach (float v in s1) if (v > 0) n1++;
        float denominator = Math.Max(1f, positiveWeights * (n0 + n1));
        float g0 = n0 / denominator, g1 = n1 / denominator;
        var merged = new float[plane];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                merged[i] = g0 * Math.Max(0f, s0[i]) + g1 * Math.Max(0f, s1[y * width + (width - 1 - x)]);
            }
        }
        return merged;
    }
}
