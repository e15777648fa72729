using WsssOnnx.Onnx;

namespace WsssOnnx.Packages.Onnx;

/// <summary>
/// Floating-point operations of one run of an ONNX model for given input shapes, read from the model alone (the one
/// counter: `wsss bench` and `wsss-train bench-autodiff` both use it): 2 per multiply-accumulate of Conv, ConvTranspose,
/// MatMul and Gemm, the convention of papers' "GFLOPs". Element-wise and reduction operators are not counted, so a rate from this figure is
/// a lower bound of the work done. Shapes come from the initializers, static value_info entries and a forward
/// propagation through the operators whose output shape follows from their inputs' (convolutions, pooling, matrix
/// products, element-wise); the rest are left unknown.
/// </summary>
public static class GraphFlops
{
    private static readonly HashSet<string> SameShape = ["Relu", "Neg", "Abs", "Sign", "Sqrt", "Reciprocal", "Identity", "Cast", "Clip", "Exp", "Log", "Sigmoid", "Tanh", "Not"];
    private static readonly HashSet<string> Broadcast = ["Add", "Sub", "Mul", "Div", "Where", "Greater", "Less", "Equal", "Max", "Min", "And", "Or", "Pow"];

    /// <summary>The total and the matrix-product nodes whose shapes could not be worked out (not in the total).</summary>
    public static (long Flops, int Uncounted) Count(ModelProto model, IReadOnlyDictionary<string, long[]> inputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        var g = model.Graph;
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var t in g.Initializer) shapes[t.Name] = [.. t.Dims];
        foreach (var v in g.ValueInfo.Concat(g.Input).Concat(g.Output))
        {
            if (Static(v) is { } shape) shapes[v.Name] = shape;
        }
        foreach (var (name, shape) in inputs) shapes[name] = shape;

        // The input gradient of Y = Conv(X, W) is ConvTranspose(dY, W): the same multiply-accumulates as the forward
        // convolution (dY has Y's shape). Backward graphs crop with run-time pads, so dY's shape is often unknown here;
        // the forward convolution that shares W then supplies the count.
        var convByWeight = new Dictionary<string, long>(StringComparer.Ordinal);
        long flops = 0;
        int uncounted = 0;
        foreach (var node in g.Node)
        {
            long[]? In(int i) => i < node.Input.Count && shapes.TryGetValue(node.Input[i], out var s) ? s : null;
            long[]? output = null;
            long macs = -1;
            switch (node.OpType)
            {
                case "Conv" when In(0) is { Length: >= 3 } x && In(1) is { } w:
                    output = ConvOutput(node, x, w);
                    macs = Product(output) * Product(w[1..]);
                    convByWeight[node.Input[1]] = macs;
                    break;
                case "ConvTranspose" when In(1) is { } w:
                    if (In(0) is { Length: >= 3 } dy)
                    {
                        output = ConvTransposeOutput(node, dy, w);
                        macs = Product(dy) * Product(w[1..]);
                    }
                    else if (convByWeight.TryGetValue(node.Input[1], out long forward))
                    {
                        macs = forward;
                    }
                    break;
                case "MatMul" when In(0) is { Length: >= 1 } a && In(1) is { Length: >= 1 } b:
                    output = MatMulOutput(a, b);
                    macs = output is null ? -1 : Product(output) * a[^1];
                    break;
                case "Gemm" when In(0) is [_, _] a && In(1) is [_, _] b:
                    long m = Int(node, "transA", 0) == 1 ? a[1] : a[0], k = Int(node, "transA", 0) == 1 ? a[0] : a[1];
                    long n = Int(node, "transB", 0) == 1 ? b[0] : b[1];
                    output = [m, n];
                    macs = m * n * k;
                    break;
                case "MaxPool" or "AveragePool" when In(0) is { Length: >= 3 } x:
                    output = PoolOutput(node, x);
                    break;
                case var op when SameShape.Contains(op) && In(0) is { } x:
                    output = x;
                    break;
                case var op when Broadcast.Contains(op):
                    output = BroadcastShape(node.Input.Select((_, i) => In(i)));
                    break;
            }
            if (node.OpType is "Conv" or "ConvTranspose" or "MatMul" or "Gemm")
            {
                if (macs < 0) uncounted++;
                else flops += 2 * macs;
            }
            if (output is not null && node.Output.Count > 0) shapes.TryAdd(node.Output[0], output);
            // MaxPool's optional second output (indices) has the first one's shape.
            if (output is not null && node.OpType == "MaxPool" && node.Output.Count > 1) shapes.TryAdd(node.Output[1], output);
        }
        return (flops, uncounted);
    }

    private static long[]? Static(ValueInfoProto v)
    {
        if (v.Type?.TensorType?.Shape is not { } shape) return null;
        var dims = new long[shape.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            if (shape.Dim[i].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue) return null;
            dims[i] = shape.Dim[i].DimValue;
        }
        return dims;
    }

    // ONNX Conv: out = floor((in + pad_begin + pad_end - dilation (k - 1) - 1) / stride) + 1 per spatial axis.
    private static long[] ConvOutput(NodeProto node, long[] x, long[] w)
    {
        int spatial = x.Length - 2;
        var (strides, pads, dilations) = Geometry(node, spatial);
        var y = new long[x.Length];
        y[0] = x[0];
        y[1] = w[0];
        for (int i = 0; i < spatial; i++)
            y[2 + i] = (x[2 + i] + pads[i] + pads[spatial + i] - dilations[i] * (w[2 + i] - 1) - 1) / strides[i] + 1;
        return y;
    }

    // ONNX ConvTranspose: out = stride (in - 1) + output_padding + dilation (k - 1) + 1 - pad_begin - pad_end.
    private static long[] ConvTransposeOutput(NodeProto node, long[] x, long[] w)
    {
        int spatial = x.Length - 2;
        var (strides, pads, dilations) = Geometry(node, spatial);
        long[] outputPadding = Ints(node, "output_padding") ?? new long[spatial];
        var y = new long[x.Length];
        y[0] = x[0];
        y[1] = w[1] * Int(node, "group", 1);
        for (int i = 0; i < spatial; i++)
            y[2 + i] = strides[i] * (x[2 + i] - 1) + outputPadding[i] + dilations[i] * (w[2 + i] - 1) + 1 - pads[i] - pads[spatial + i];
        return y;
    }

    private static long[] PoolOutput(NodeProto node, long[] x)
    {
        int spatial = x.Length - 2;
        var (strides, pads, dilations) = Geometry(node, spatial);
        long[] kernel = Ints(node, "kernel_shape") ?? Enumerable.Repeat(1L, spatial).ToArray();
        bool ceil = Int(node, "ceil_mode", 0) == 1;
        var y = (long[])x.Clone();
        for (int i = 0; i < spatial; i++)
        {
            long span = x[2 + i] + pads[i] + pads[spatial + i] - dilations[i] * (kernel[i] - 1) - 1;
            y[2 + i] = (ceil ? (span + strides[i] - 1) / strides[i] : span / strides[i]) + 1;
        }
        return y;
    }

    private static (long[] Strides, long[] Pads, long[] Dilations) Geometry(NodeProto node, int spatial) =>
        (Ints(node, "strides") ?? Enumerable.Repeat(1L, spatial).ToArray(),
         Ints(node, "pads") ?? new long[2 * spatial],
         Ints(node, "dilations") ?? Enumerable.Repeat(1L, spatial).ToArray());

    // numpy matmul: 1-D operands are promoted and the added axis dropped; batch axes broadcast.
    private static long[]? MatMulOutput(long[] a, long[] b)
    {
        long[] a2 = a.Length == 1 ? [1, a[0]] : a, b2 = b.Length == 1 ? [b[0], 1] : b;
        if (a2[^1] != b2[^2]) return null;
        var batch = BroadcastShape([a2[..^2], b2[..^2]]);
        if (batch is null) return null;
        var y = new List<long>(batch);
        if (a.Length > 1) y.Add(a2[^2]);
        if (b.Length > 1) y.Add(b2[^1]);
        return [.. y];
    }

    private static long[]? BroadcastShape(IEnumerable<long[]?> operands)
    {
        long[] result = [];
        foreach (var s in operands)
        {
            if (s is null) return null;
            int rank = Math.Max(result.Length, s.Length);
            var merged = new long[rank];
            for (int i = 0; i < rank; i++)
            {
                long p = i < rank - result.Length ? 1 : result[i - (rank - result.Length)];
                long q = i < rank - s.Length ? 1 : s[i - (rank - s.Length)];
                if (p != q && p != 1 && q != 1) return null;
                merged[i] = p == 1 ? q : p;
            }
            result = merged;
        }
        return result;
    }

    private static long Product(ReadOnlySpan<long> shape)
    {
        long p = 1;
        foreach (long d in shape) p *= d;
        return p;
    }

    private static long[]? Ints(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? [.. a.Ints] : null;

    private static long Int(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { HasI: true } a ? a.I : fallback;
}
