namespace WsssOnnx.Graph;

/// <summary>Floating-point operation counts of a built graph, from its build-time shapes.</summary>
public static class GraphCost
{
    /// <summary>
    /// FLOPs of the nodes the given outputs need: 2 per multiply-accumulate for Conv, ConvTranspose, MatMul and Gemm
    /// (the convention of papers' "GFLOPs"), 1 per output element for everything else. Run-time dimensions count as
    /// unknown: the result is null unless every counted node's shapes are static.
    /// </summary>
    public static long? Flops(GraphBuilder g, IEnumerable<string> outputs)
    {
        var needed = new HashSet<string>(outputs.Select(o => g.Get(o).Name), StringComparer.Ordinal);
        long total = 0;
        foreach (var node in g.Nodes.Reverse())
        {
            if (!node.Outputs.Any(o => needed.Contains(o.Name))) continue;
            foreach (var i in node.Inputs)
                if (i is not null) needed.Add(i.Name);
            if (Node(node) is not { } cost) return null;
            total += cost;
        }
        return total;
    }

    private static long? Node(GraphNode n)
    {
        var y = n.Outputs[0];
        if (!y.IsStatic) return n.OpType is "Shape" or "Size" or "Constant" ? 0 : null;
        long outputs = y.Shape.Aggregate(1L, (p, d) => p * d);
        switch (n.OpType)
        {
            case "Conv":
            {
                var w = n.Inputs[1]!; // [M, C/g, kh, kw]: each output element sums C/g * kh * kw products
                return 2 * outputs * w.Shape[1] * w.Shape[2] * w.Shape[3];
            }
            case "ConvTranspose":
            {
                var x = n.Inputs[0]!;
                var w = n.Inputs[1]!; // [Cin, Cout/g, kh, kw]: each input element scatters Cout/g * kh * kw products
                if (!x.IsStatic) return null;
                return 2 * x.Shape.Aggregate(1L, (p, d) => p * d) * w.Shape[1] * w.Shape[2] * w.Shape[3];
            }
            case "MatMul":
            {
                var a = n.Inputs[0]!;
                return a.Dim(-1) < 0 ? null : 2 * outputs * a.Dim(-1);
            }
            case "Gemm":
            {
                var a = n.Inputs[0]!;
                long k = n.Int("transA", 0) == 1 ? a.Shape[0] : a.Shape[1];
                return k < 0 ? null : 2 * outputs * k;
            }
            case "Shape" or "Size" or "Reshape" or "Identity" or "Squeeze" or "Unsqueeze" or "Flatten":
                return 0;
            default:
                return outputs;
        }
    }
}
