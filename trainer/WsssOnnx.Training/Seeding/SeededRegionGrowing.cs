namespace WsssOnnx.Training.Seeding;

/// <summary>
/// DSRG's seeded region growing (Huang et al., CVPR 2018, Sec. 3.2), on one image's class probabilities H [K, h, w]:
/// the seeds keep their labels; an unlabelled pixel u joins the region of class c when it is 8-connected to that
/// region and satisfies the similarity criterion P(H_u, θ): among the classes present in the image (background always),
/// c = argmax_k H_{k,u} and H_{c,u} &gt; θ_c, with θ_c = θ_bg for the background and θ_fg otherwise. Grown pixels are
/// visited in turn, until no pixel joins.
/// </summary>
public static class SeededRegionGrowing
{
    public const long Unlabelled = 255;

    /// <param name="probabilities">H, [K, h, w] (class-major), background first.</param>
    /// <param name="seeds">Seed labels, h w values in [0, K) or <see cref="Unlabelled"/>.</param>
    /// <param name="present">K flags: the classes of the image (index 0, the background, is always taken as present).</param>
    /// <returns>The grown labels, h w values (the seeds, the pixels that joined them, 255 elsewhere).</returns>
    public static long[] Grow(ReadOnlySpan<float> probabilities, ReadOnlySpan<long> seeds, ReadOnlySpan<bool> present, int height, int width,
        float backgroundThreshold, float foregroundThreshold)
    {
        int n = height * width, classes = present.Length;
        if (probabilities.Length != classes * n || seeds.Length != n)
            throw new ArgumentException($"region growing needs {classes} x {height} x {width} probabilities and {n} seeds; got {probabilities.Length} and {seeds.Length}");

        // The class each pixel could join: its most probable present class, if above that class's threshold.
        var candidate = new long[n];
        for (int u = 0; u < n; u++)
        {
            int best = 0;
            for (int k = 1; k < classes; k++)
                if (present[k] && probabilities[k * n + u] > probabilities[best * n + u]) best = k;
            float threshold = best == 0 ? backgroundThreshold : foregroundThreshold;
            candidate[u] = probabilities[best * n + u] > threshold ? best : Unlabelled;
        }

        var labels = seeds.ToArray();
        var queue = new Queue<int>();
        for (int u = 0; u < n; u++)
            if (labels[u] != Unlabelled) queue.Enqueue(u);
        while (queue.Count > 0)
        {
            int u = queue.Dequeue();
            int y = u / width, x = u % width;
            for (int dy = -1; dy <= 1; dy++)
            {
                for (int dx = -1; dx <= 1; dx++)
                {
                    int ny = y + dy, nx = x + dx;
                    if ((dy | dx) == 0 || ny < 0 || ny >= height || nx < 0 || nx >= width) continue;
                    int v = ny * width + nx;
                    if (labels[v] != Unlabelled || candidate[v] != labels[u]) continue;
                    labels[v] = labels[u];
                    queue.Enqueue(v);
                }
            }
        }
        return labels;
    }
}
