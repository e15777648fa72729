namespace WsssOnnx.Graph.Fickle;

/// <summary>
/// FickleNet's stochastic hidden-unit selection (Lee et al. CVPR 2019) on a 3x3, stride-1 convolution without the paper's
/// expanded feature map: expanding each position's 3x3 window into an s x s block, dropping units and convolving with
/// stride s equals, per kernel offset o, a 1x1 convolution W_o of the input shifted by o, masked per output position:
///   y(p) = W_centre x(p) + sum_{o != centre} m_o(p) W_o x(p + d o)   (zero outside the map),
/// with an independent mask m_o per selection, copy and position, and the centre always kept. The 9 shifted (masked)
/// inputs are stacked along channels and meet the kernel rearranged to [F_out, 9 F, 1, 1] in one Conv, so a folded
/// batch normalisation that follows still sees a bias-free Conv.
/// </summary>
public static class StochasticConvolution
{
    /// <summary>The centre's index among the 9 row-major offsets of a 3x3 kernel.</summary>
    public const int Centre = 4;

    /// <param name="x">Input of every copy [N, F, h, w].</param>
    /// <param name="weight">The 3x3 kernel [F_out, F, 3, 3].</param>
    /// <param name="masks">Keep factors [M, N, 8, h, w] for the 8 non-centre offsets (row-major, centre skipped).</param>
    /// <param name="dilation">The kernel's dilation (its padding is the same).</param>
    /// <returns>[M N, F_out, h, w], selection-major.</returns>
    public static Value Build(GraphBuilder g, Value x, Value weight, Value masks, int dilation)
    {
        if (x.Rank != 4 || weight.Rank != 4 || weight.Shape[2] != 3 || weight.Shape[3] != 3)
            throw new ArgumentException($"a 3x3 kernel on NCHW input is needed; got {x} and {weight}");
        if (masks.Rank != 5 || masks.Shape[2] != 8) throw new ArgumentException($"keep masks must be [M, N, 8, h, w]; got {masks}");
        long d = dilation, f = x.Shape[1];
        var padded = g.Pad(g.Unsqueeze(x, 0), [0, 0, 0, d, d, 0, 0, 0, d, d]);      // [1, N, F, h + 2d, w + 2d]
        var like = g.ReduceSum(masks, [2, 3, 4]);                                   // [M, N, 1, 1, 1]: the batch's shape
        var parts = new List<Value>(9);
        for (int ky = 0, k = 0; ky < 3; ky++)
        {
            for (int kx = 0; kx < 3; kx++)
            {
                // x(p + d (o - 1)) for o = (ky, kx): padded rows [d ky, d ky + h), columns likewise.
                var shifted = g.Slice(padded, [d * ky, d * kx], [End(d, ky), End(d, kx)], [3, 4]);
                if (ky * 3 + kx == Centre)
                {
                    parts.Add(g.ExpandLike(shifted, like));
                    continue;
                }
                parts.Add(shifted * g.Slice(masks, [k], [k + 1], [2]));
                k++;
            }
        }
        var stacked = g.Concat(parts, 2);                                           // [M, N, 9F, h, w]
        var batch = g.Concat([g.Ints(-1, 9 * f), g.Slice(g.ShapeOf(x), [2], [4], [0])], 0);
        var flat = g.ReshapeDynamic(stacked, batch, [-1, 9 * f, x.Shape[2], x.Shape[3]]);
        // W [F_out, F, 3, 3] -> [F_out, 3, 3, F] -> [F_out, 9F, 1, 1]: channel block (ky, kx) of the stack meets W[:, :, ky, kx].
        var kernel = g.Reshape(g.Transpose(weight, 0, 2, 3, 1), weight.Shape[0], 9 * f, 1, 1);
        return g.Conv(flat, kernel);
    }

    // The slice end d ky + h of a dimension padded to h + 2d, as an end relative to its size (or "to the end").
    private static long End(long d, int k) => k == 2 ? long.MaxValue : d * k - 2 * d;
}
