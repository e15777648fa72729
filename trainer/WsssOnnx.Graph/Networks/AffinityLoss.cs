namespace WsssOnnx.Graph.Networks;

/// <summary>
/// IRN's inter-pixel affinity loss (step/train_irn.py; paper eq. 4-6) on a stride-4 boundary map B = sigmoid(logits):
/// for each pair direction d and source pixel i, a_d(i) = 1 − max of B over d's path (offsets from i), and
/// L = ½ (½ L_bg+ + ½ L_fg+ + L_−), with L_bg+ = Σ P_bg (−log(a + 1e-5)) / (Σ P_bg + 1e-5), L_fg+ likewise, and
/// L_− = Σ P_neg (−log(1 + 1e-5 − a)) / (Σ P_neg + 1e-5). The masks P are [N, D, h, w] in the order of
/// <c>paths</c> (0/1; a pair reaching off the grid or touching an unsure pixel has 0 in all three).
/// Directions must come grouped by path length (consecutive equal lengths), so each group is one Concat and one ReduceMax.
/// </summary>
public static class AffinityLoss
{
    public const float Eps = 1e-5f;

    /// <summary>The pair affinities a [N, D, h, w] of <paramref name="boundary"/> [N, 1, h, w] (static h, w).</summary>
    public static Value Affinities(GraphBuilder g, Value boundary, IReadOnlyList<IReadOnlyList<(int Dy, int Dx)>> paths)
    {
        long h = boundary.Shape[2], w = boundary.Shape[3];
        if (h < 0 || w < 0) throw new ArgumentException("the affinity loss needs a static boundary grid", nameof(boundary));
        int reach = paths.SelectMany(p => p).Max(p => Math.Max(Math.Abs(p.Dx), p.Dy));
        if (paths.SelectMany(p => p).Any(p => p.Dy < 0)) throw new ArgumentException("paths must lie in the lower half-plane (dy >= 0)", nameof(paths));
        // B padded below and on both sides; padded values only meet pairs whose masks are 0.
        var padded = g.Pad(boundary, [0, 0, 0, reach, 0, 0, reach, reach]);
        var shifted = new Dictionary<(int, int), Value>();
        Value Shift((int Dy, int Dx) p)
        {
            if (!shifted.TryGetValue(p, out var v))
                shifted[p] = v = g.Slice(padded, [p.Dy, reach + p.Dx], [p.Dy + h, reach + p.Dx + w], [2, 3]);
            return v;
        }

        var groups = new List<Value>();
        for (int start = 0; start < paths.Count;)
        {
            int length = paths[start].Count, end = start;
            while (end < paths.Count && paths[end].Count == length) end++;
            if (paths.Skip(end).Any(p => p.Count == length)) throw new ArgumentException("paths must be grouped by length", nameof(paths));
            // [N, m * L, h, w] -> [N, m, L, h, w] -> max over the path axis: [N, m, h, w].
            var stacked = g.Concat([.. paths.Skip(start).Take(end - start).SelectMany(p => p).Select(Shift)], 1);
            groups.Add(g.ReduceMax(g.Reshape(stacked, 0, end - start, length, h, w), [2], keepDims: false));
            start = end;
        }
        return g.Scalar(1f) - g.Concat(groups, 1);
    }

    /// <summary>The scalar loss from boundary logits [N, 1, h, w] and the three pair masks [N, D, h, w].</summary>
    public static Value Build(GraphBuilder g, Value logits, Value positiveBackground, Value positiveForeground, Value negative, IReadOnlyList<IReadOnlyList<(int Dy, int Dx)>> paths)
    {
        var a = Affinities(g, g.Sigmoid(logits), paths);
        var eps = g.Scalar(Eps);
        Value Mean(Value mask, Value perPair) => g.SumAll(mask * perPair) / (g.SumAll(mask) + eps);
        var pull = -g.Log(a + eps);                        // -log a: pairs of one class should have a near 1
        var push = -g.Log(g.Scalar(1f + Eps) - a);         // -log(1 - a): pairs across classes should have a near 0
        var positive = 0.5f * Mean(positiveBackground, pull) + 0.5f * Mean(positiveForeground, pull);
        return 0.5f * (positive + Mean(negative, push));
    }
}
