namespace WsssOnnx.Graph.Autodiff;

public static partial class GradientRules
{
    private static void RegisterReductions()
    {
        // ReduceSum: every reduced element receives dY (broadcast back over the reduced axes).
        Register("ReduceSum", (c, n, dY) => [c.G.ExpandLike(KeepDims(c, n, dY[0]!, ConstantInts(n.In(1))), n.In(0))]);

        // ReduceMean: as ReduceSum, divided by the number of elements averaged (|x| / |y|).
        Register("ReduceMean", (c, n, dY) =>
        {
            var x = n.In(0);
            var spread = c.G.ExpandLike(KeepDims(c, n, dY[0]!, n.Ints("axes")!), x);
            return [spread * (c.G.SizeAsFloat(n.Outputs[0]) / c.G.SizeAsFloat(x))];
        });

        // ReduceMax: dY flows to the maxima (to every tied maximum: a subgradient).
        Register("ReduceMax", (c, n, dY) =>
        {
            var x = n.In(0);
            var axes = n.Ints("axes")!;
            var y = KeepDims(c, n, n.Outputs[0], axes);
            return [c.Masked(c.G.Equal(x, c.G.ExpandLike(y, x)), c.G.ExpandLike(KeepDims(c, n, dY[0]!, axes), x))];
        });

        // TopK: Y = X at the picked indices along the axis, so dX is dY scattered back there (zeros elsewhere); K gets none.
        Register("TopK", (c, n, dY) =>
        {
            var x = n.In(0);
            if (dY[0] is not { } dValues) return [null, null];
            return [c.G.ScatterAdd(c.G.ZerosLike(x), n.Outputs[1], dValues, n.Int("axis", -1)), null];
        });

        // GlobalAveragePool: each of the H*W positions receives dY / (H*W).
        Register("GlobalAveragePool", (c, n, dY) =>
        {
            var x = n.In(0);
            return [c.G.ExpandLike(dY[0]!, x) * (c.G.SizeAsFloat(n.Outputs[0]) / c.G.SizeAsFloat(x))];
        });

        // Softmax: dx = y * (dy - sum(dy * y)) along the axis.
        Register("Softmax", (c, n, dY) =>
        {
            var y = n.Outputs[0];
            long axis = n.Int("axis", -1);
            return [y * (dY[0]! - c.G.ReduceSum(dY[0]! * y, [axis]))];
        });

        // LogSoftmax: dx = dy - exp(y) * sum(dy) along the axis.
        Register("LogSoftmax", (c, n, dY) =>
        {
            long axis = n.Int("axis", -1);
            return [dY[0]! - c.G.Exp(n.Outputs[0]) * c.G.ReduceSum(dY[0]!, [axis])];
        });
    }

    /// <summary>A reduction's output (or its gradient) with the reduced axes restored as size 1.</summary>
    private static Value KeepDims(GradientContext c, GraphNode n, Value v, long[] axes) =>
        n.Int("keepdims", 1) == 1 ? v : c.G.Unsqueeze(v, [.. axes.Select(a => a < 0 ? a + n.In(0).Rank : a).Order()]);
}
