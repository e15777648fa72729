namespace WsssOnnx.Graph.Autodiff;

/// <summary>What gradient rules build with: the graph, plus reductions that undo broadcasting.</summary>
public sealed class GradientContext
{
    internal GradientContext(GraphBuilder graph) => G = graph;

    public GraphBuilder G { get; }

    /// <summary>
    /// Sums a gradient over the axes along which <paramref name="like"/> was broadcast, so that it has like's shape
    /// (the adjoint of numpy broadcasting). Broadcast axes must be 1 at build time.
    /// </summary>
    public Value ReduceToShape(Value grad, Value like)
    {
        if (grad.Rank == like.Rank && grad.Shape.SequenceEqual(like.Shape) && like.IsStatic) return grad;
        int lead = grad.Rank - like.Rank;
        var axes = new List<long>();
        for (int i = 0; i < lead; i++) axes.Add(i);
        for (int i = 0; i < like.Rank; i++)
        {
            long dl = like.Shape[i], dg = grad.Shape[i + lead];
            // A dimension known only at run time is taken to be full size: broadcasting uses explicit 1s.
            if (dl == 1 && dg != 1) axes.Add(i + lead);
        }
        if (axes.Count == 0) return grad;
        var reduced = G.ReduceSum(grad, [.. axes], keepDims: true);
        return lead > 0 || !reduced.Shape.SequenceEqual(like.Shape) ? G.ReshapeLike(reduced, like) : reduced;
    }

    /// <summary>Zero where <paramref name="mask"/> is false, <paramref name="grad"/> elsewhere.</summary>
    public Value Masked(Value mask, Value grad) => G.Where(mask, grad, G.Scalar(0f));
}
