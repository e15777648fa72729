using WsssOnnx.Onnx;
using WsssOnnx.Packages;
using WsssOnnx.Packages.Onnx;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph;

/// <summary>Typed ONNX operators (opset 17) with build-time type and shape inference.</summary>
public sealed partial class GraphBuilder
{
    // ---- elementwise ----

    public Value Add(Value a, Value b) => Binary("Add", a, b);

    public Value Sub(Value a, Value b) => Binary("Sub", a, b);

    public Value Mul(Value a, Value b) => Binary("Mul", a, b);

    public Value Div(Value a, Value b) => Binary("Div", a, b);

    public Value Pow(Value a, Value b) => Binary("Pow", a, b);

    public Value Greater(Value a, Value b) => Binary("Greater", a, b, DataType.Bool);

    public Value Less(Value a, Value b) => Binary("Less", a, b, DataType.Bool);

    public Value Equal(Value a, Value b) => Binary("Equal", a, b, DataType.Bool);

    public Value And(Value a, Value b) => Binary("And", a, b, DataType.Bool);

    /// <summary>Elementwise maximum / minimum (no gradient rule yet: used for bounds, not inside objectives).</summary>
    public Value Max(Value a, Value b) => Binary("Max", a, b);

    public Value Min(Value a, Value b) => Binary("Min", a, b);

    public Value Relu(Value x) => Unary("Relu", x);

    public Value Neg(Value x) => Unary("Neg", x);

    public Value Abs(Value x) => Unary("Abs", x);

    public Value Sign(Value x) => Unary("Sign", x);

    public Value Sigmoid(Value x) => Unary("Sigmoid", x);

    public Value Exp(Value x) => Unary("Exp", x);

    public Value Log(Value x) => Unary("Log", x);

    public Value Sqrt(Value x) => Unary("Sqrt", x);

    public Value Softplus(Value x) => Unary("Softplus", x);

    public Value Reciprocal(Value x) => Unary("Reciprocal", x);

    public Value Identity(Value x) => Unary("Identity", x);

    public Value Not(Value x) => Unary("Not", x);

    public Value Cast(Value x, DataType to) =>
        x.Type == to ? x : Op("Cast", [x], [Attr.Int("to", (long)to)], (i, _) => [(to, i[0]!.Shape)])[0];

    /// <summary>Where(condition, a, b): a where the condition holds, else b (broadcasting).</summary>
    public Value Where(Value condition, Value a, Value b) =>
        Op("Where", [condition, a, b], [], (i, _) => [(a.Type, Broadcast(Broadcast(condition.Shape, a.Shape), b.Shape))])[0];

    /// <summary>Elementwise sum of any number of tensors (broadcasting).</summary>
    public Value Sum(IReadOnlyList<Value> terms)
    {
        if (terms.Count == 0) throw new ArgumentException("Sum of no terms");
        if (terms.Count == 1) return terms[0];
        if (terms.Count == 2) return Add(terms[0], terms[1]);
        return Op("Sum", [.. terms], [], (i, _) => [(terms[0].Type, i.Select(v => v!.Shape).Aggregate(Broadcast))])[0];
    }

    /// <summary>Clip to [min, max]; either bound may be null (unbounded).</summary>
    public Value Clip(Value x, float? min, float? max) =>
        Op("Clip", [x, min is { } lo ? Scalar(lo) : null, max is { } hi ? Scalar(hi) : null], [], (i, _) => [(x.Type, x.Shape)])[0];

    // ---- linear algebra ----

    /// <summary>MatMul with numpy semantics (batched over leading dimensions).</summary>
    public Value MatMul(Value a, Value b) => Op("MatMul", [a, b], [], (i, _) =>
    {
        long[] sa = a.Shape, sb = b.Shape;
        if (sa.Length < 2 || sb.Length < 2) throw new NotSupportedException("MatMul of vectors is not used here; reshape to matrices");
        long m = sa[^2], n = sb[^1];
        long[] batch = Broadcast(sa[..^2], sb[..^2]);
        return [(a.Type, [.. batch, m, n])];
    })[0];

    /// <summary>Gemm: alpha * op(A) op(B) + beta * C, op = optional transpose.</summary>
    public Value Gemm(Value a, Value b, Value? c = null, bool transA = false, bool transB = false, float alpha = 1f, float beta = 1f) =>
        Op("Gemm", [a, b, c], [Attr.Float("alpha", alpha), Attr.Float("beta", beta), Attr.Int("transA", transA ? 1 : 0), Attr.Int("transB", transB ? 1 : 0)],
            (_, _) => [(a.Type, [transA ? a.Shape[1] : a.Shape[0], transB ? b.Shape[0] : b.Shape[1]])])[0];

    // ---- convolution and pooling (NCHW) ----

    /// <summary>2-D convolution; <paramref name="pads"/> is [top, left, bottom, right].</summary>
    public Value Conv(Value x, Value w, Value? bias = null, long[]? strides = null, long[]? pads = null, long[]? dilations = null, long group = 1)
    {
        strides ??= [1, 1];
        pads ??= [0, 0, 0, 0];
        dilations ??= [1, 1];
        return Op("Conv", [x, w, bias],
            [Attr.Ints("strides", strides), Attr.Ints("pads", pads), Attr.Ints("dilations", dilations), Attr.Int("group", group), Attr.Ints("kernel_shape", w.Shape[2..])],
            (_, _) => [(x.Type, [x.Shape[0], w.Shape[0],
                ConvOut(x.Shape[2], w.Shape[2], strides[0], pads[0], pads[2], dilations[0]),
                ConvOut(x.Shape[3], w.Shape[3], strides[1], pads[1], pads[3], dilations[1])])])[0];
    }

    /// <summary>2-D transposed convolution (the adjoint of <see cref="Conv"/> with the same parameters).</summary>
    public Value ConvTranspose(Value x, Value w, long[] strides, long[] pads, long[] dilations, long group, long[] outputPadding)
    {
        long OutSize(int a) => x.Shape[2 + a] < 0 || w.Shape[2 + a] < 0 ? -1
            : strides[a] * (x.Shape[2 + a] - 1) + outputPadding[a] + dilations[a] * (w.Shape[2 + a] - 1) + 1 - pads[a] - pads[a + 2];
        return Op("ConvTranspose", [x, w],
            [Attr.Ints("strides", strides), Attr.Ints("pads", pads), Attr.Ints("dilations", dilations), Attr.Int("group", group),
             Attr.Ints("output_padding", outputPadding), Attr.Ints("kernel_shape", w.Shape[2..])],
            (_, _) => [(x.Type, [x.Shape[0], w.Shape[1] * group, OutSize(0), OutSize(1)])])[0];
    }

    /// <summary>Output length of a convolution or pooling window (floor mode).</summary>
    internal static long ConvOut(long size, long kernel, long stride, long padBegin, long padEnd, long dilation) =>
        size < 0 || kernel < 0 ? -1 : (size + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride + 1;

    /// <summary>MaxPool; returns the pooled values and the flat NCHW indices of the maxima.</summary>
    public (Value Y, Value Indices) MaxPool(Value x, long[] kernel, long[] strides, long[] pads)
    {
        var outputs = Op("MaxPool", [x], [Attr.Ints("kernel_shape", kernel), Attr.Ints("strides", strides), Attr.Ints("pads", pads)], (_, _) =>
        {
            long[] shape = [x.Shape[0], x.Shape[1], ConvOut(x.Shape[2], kernel[0], strides[0], pads[0], pads[2], 1), ConvOut(x.Shape[3], kernel[1], strides[1], pads[1], pads[3], 1)];
            return [(x.Type, shape), (DataType.Int64, shape)];
        }, outputs: 2);
        return (outputs[0], outputs[1]);
    }

    public Value AveragePool(Value x, long[] kernel, long[] strides, long[] pads, bool countIncludePad = false) =>
        Op("AveragePool", [x], [Attr.Ints("kernel_shape", kernel), Attr.Ints("strides", strides), Attr.Ints("pads", pads), Attr.Int("count_include_pad", countIncludePad ? 1 : 0)],
            (_, _) => [(x.Type, [x.Shape[0], x.Shape[1], ConvOut(x.Shape[2], kernel[0], strides[0], pads[0], pads[2], 1), ConvOut(x.Shape[3], kernel[1], strides[1], pads[1], pads[3], 1)])])[0];

    public Value GlobalAveragePool(Value x) =>
        Op("GlobalAveragePool", [x], [], (_, _) => [(x.Type, [x.Shape[0], x.Shape[1], 1, 1])])[0];

    /// <summary>BatchNormalization in inference form: (x - mean) / sqrt(var + eps) * scale + bias, per channel.</summary>
    public Value BatchNormalization(Value x, Value scale, Value bias, Value mean, Value variance, float epsilon = 1e-5f) =>
        Op("BatchNormalization", [x, scale, bias, mean, variance], [Attr.Float("epsilon", epsilon)], (_, _) => [(x.Type, x.Shape)])[0];

    // ---- reductions ----

    public Value ReduceSum(Value x, long[] axes, bool keepDims = true) =>
        Op("ReduceSum", [x, Ints(axes)], [Attr.Int("keepdims", keepDims ? 1 : 0)], (_, _) => [(x.Type, Reduced(x.Shape, axes, keepDims))])[0];

    public Value ReduceMean(Value x, long[] axes, bool keepDims = true) =>
        Op("ReduceMean", [x], [Attr.Ints("axes", axes), Attr.Int("keepdims", keepDims ? 1 : 0)], (_, _) => [(x.Type, Reduced(x.Shape, axes, keepDims))])[0];

    public Value ReduceMax(Value x, long[] axes, bool keepDims = true) =>
        Op("ReduceMax", [x], [Attr.Ints("axes", axes), Attr.Int("keepdims", keepDims ? 1 : 0)], (_, _) => [(x.Type, Reduced(x.Shape, axes, keepDims))])[0];

    public Value ReduceMin(Value x, long[] axes, bool keepDims = true) =>
        Op("ReduceMin", [x], [Attr.Ints("axes", axes), Attr.Int("keepdims", keepDims ? 1 : 0)], (_, _) => [(x.Type, Reduced(x.Shape, axes, keepDims))])[0];

    /// <summary>
    /// TopK along <paramref name="axis"/>: the <paramref name="k"/> largest (or smallest) values, sorted, and their int64
    /// indices along that axis. With k the axis' length it sorts (in descending order when <paramref name="largest"/>).
    /// </summary>
    public (Value Values, Value Indices) TopK(Value x, long k, long axis = -1, bool largest = true)
    {
        long a = axis < 0 ? axis + x.Rank : axis;
        if (a < 0 || a >= x.Rank) throw new ArgumentOutOfRangeException(nameof(axis), axis, $"TopK axis outside {x}");
        if (k < 1 || x.Shape[a] >= 0 && k > x.Shape[a]) throw new ArgumentOutOfRangeException(nameof(k), k, $"TopK k must be in [1, {x.Shape[a]}] for {x}");
        var outputs = Op("TopK", [x, Ints(k)], [Attr.Int("axis", a), Attr.Int("largest", largest ? 1 : 0), Attr.Int("sorted", 1)], (_, _) =>
        {
            long[] shape = [.. x.Shape.Select((d, i) => i == a ? k : d)];
            return [(x.Type, shape), (DataType.Int64, shape)];
        }, outputs: 2);
        return (outputs[0], outputs[1]);
    }

    /// <summary>Sum of all elements, as a rank-0 tensor.</summary>
    public Value SumAll(Value x) => ReduceSum(x, [.. Enumerable.Range(0, x.Rank).Select(a => (long)a)], keepDims: false);

    private static long[] Reduced(long[] shape, long[] axes, bool keepDims)
    {
        var norm = axes.Select(a => a < 0 ? a + shape.Length : a).ToHashSet();
        return keepDims
            ? [.. shape.Select((d, i) => norm.Contains(i) ? 1 : d)]
            : [.. shape.Where((_, i) => !norm.Contains(i))];
    }

    public Value Softmax(Value x, long axis = -1) => Op("Softmax", [x], [Attr.Int("axis", axis)], (_, _) => [(x.Type, x.Shape)])[0];

    public Value LogSoftmax(Value x, long axis = -1) => Op("LogSoftmax", [x], [Attr.Int("axis", axis)], (_, _) => [(x.Type, x.Shape)])[0];

    // ---- shape manipulation ----

    /// <summary>The run-time shape of <paramref name="x"/> as a 1-D int64 tensor.</summary>
    public Value ShapeOf(Value x) => Op("Shape", [x], [], (_, _) => [(DataType.Int64, [x.Rank])])[0];

    /// <summary>Reshape to a constant shape (0 copies the input's dimension, one -1 is inferred).</summary>
    public Value Reshape(Value x, params long[] shape) => Op("Reshape", [x, Ints(shape)], [], (_, _) =>
    {
        var result = shape.Select((d, i) => d == 0 ? x.Shape[i] : d).ToArray();
        int unknown = Array.IndexOf(result, -1L);
        if (unknown >= 0)
        {
            long known = result.Where((d, i) => i != unknown).Aggregate(1L, (p, d) => p * d);
            result[unknown] = x.IsStatic && result.Where((d, i) => i != unknown).All(d => d >= 0) ? HostTensor<float>.ElementCount(x.Shape) / known : -1;
        }
        return [(x.Type, result)];
    })[0];

    /// <summary>Reshape <paramref name="x"/> to the run-time shape of <paramref name="like"/>.</summary>
    public Value ReshapeLike(Value x, Value like) =>
        x.Shape.SequenceEqual(like.Shape) && x.IsStatic ? x : Op("Reshape", [x, ShapeOf(like)], [], (_, _) => [(x.Type, like.Shape)])[0];

    /// <summary>Broadcast <paramref name="x"/> to the run-time shape of <paramref name="like"/>.</summary>
    public Value ExpandLike(Value x, Value like) =>
        Op("Expand", [x, ShapeOf(like)], [], (_, _) => [(x.Type, Broadcast(x.Shape, like.Shape))])[0];

    public Value Transpose(Value x, params long[] perm) =>
        Op("Transpose", [x], [Attr.Ints("perm", perm)], (_, _) => [(x.Type, [.. perm.Select(p => x.Shape[p])])])[0];

    public Value Flatten(Value x, long axis = 1) => Op("Flatten", [x], [Attr.Int("axis", axis)], (_, _) =>
    {
        long Prod(IEnumerable<long> dims) => dims.Any(d => d < 0) ? -1 : dims.Aggregate(1L, (p, d) => p * d);
        return [(x.Type, [Prod(x.Shape.Take((int)axis)), Prod(x.Shape.Skip((int)axis))])];
    })[0];

    public Value Unsqueeze(Value x, params long[] axes) => Op("Unsqueeze", [x, Ints(axes)], [], (_, _) =>
    {
        int rank = x.Rank + axes.Length;
        var norm = axes.Select(a => a < 0 ? a + rank : a).ToHashSet();
        var result = new long[rank];
        for (int i = 0, j = 0; i < rank; i++) result[i] = norm.Contains(i) ? 1 : x.Shape[j++];
        return [(x.Type, result)];
    })[0];

    public Value Squeeze(Value x, params long[] axes) => Op("Squeeze", [x, Ints(axes)], [], (_, _) =>
    {
        var norm = axes.Select(a => a < 0 ? a + x.Rank : a).ToHashSet();
        return [(x.Type, [.. x.Shape.Where((_, i) => !norm.Contains(i))])];
    })[0];

    public Value Concat(IReadOnlyList<Value> parts, long axis)
    {
        if (parts.Count == 1) return parts[0];
        int a = (int)(axis < 0 ? axis + parts[0].Rank : axis);
        return Op("Concat", [.. parts], [Attr.Int("axis", axis)], (_, _) =>
        {
            var shape = (long[])parts[0].Shape.Clone();
            shape[a] = parts.Any(p => p.Shape[a] < 0) ? -1 : parts.Sum(p => p.Shape[a]);
            return [(parts[0].Type, shape)];
        })[0];
    }

    /// <summary>Slice with constant starts/ends/axes/steps (ONNX clamping rules).</summary>
    public Value Slice(Value x, long[] starts, long[] ends, long[] axes, long[]? steps = null)
    {
        steps ??= [.. axes.Select(_ => 1L)];
        return Op("Slice", [x, Ints(starts), Ints(ends), Ints(axes), Ints(steps)], [], (_, _) =>
        {
            var shape = (long[])x.Shape.Clone();
            for (int k = 0; k < axes.Length; k++)
            {
                int axis = (int)(axes[k] < 0 ? axes[k] + x.Rank : axes[k]);
                shape[axis] = SliceLength(x.Shape[axis], starts[k], ends[k], steps[k]);
            }
            return [(x.Type, shape)];
        })[0];
    }

    internal static long SliceLength(long dim, long start, long end, long step)
    {
        if (dim < 0) return -1;
        if (start < 0) start += dim;
        if (end < 0) end += dim;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, dim);
            end = Math.Clamp(end, 0, dim);
            return Math.Max(0, (end - start + step - 1) / step);
        }
        start = Math.Clamp(start, 0, dim - 1);
        end = Math.Clamp(end, -1, dim - 1);
        return Math.Max(0, (start - end + (-step) - 1) / (-step));
    }

    /// <summary>Reverses <paramref name="axis"/> (a Slice with step -1): the horizontal flip of an NCHW image is axis 3.</summary>
    public Value Flip(Value x, long axis) => Slice(x, [-1], [long.MinValue], [axis], [-1]);

    /// <summary>Constant-mode Pad; <paramref name="pads"/> is [begin_0.., end_0..] as in ONNX.</summary>
    public Value Pad(Value x, long[] pads, float value = 0f) =>
        Op("Pad", [x, Ints(pads), Scalar(value)], [Attr.String("mode", "constant")], (_, _) =>
            [(x.Type, [.. x.Shape.Select((d, i) => d < 0 ? -1 : d + pads[i] + pads[i + x.Rank])])])[0];

    /// <summary>Slice with run-time starts/ends; <paramref name="shape"/> is what is known of the result at build time.</summary>
    public Value SliceDynamic(Value x, Value starts, Value ends, Value axes, long[] shape) =>
        Op("Slice", [x, starts, ends, axes], [], (_, _) => [(x.Type, shape)])[0];

    /// <summary>Constant-mode Pad with pads computed at run time; <paramref name="like"/> gives the result's shape.</summary>
    public Value PadDynamic(Value x, Value pads, Value like) =>
        Op("Pad", [x, pads, Scalar(0f)], [Attr.String("mode", "constant")], (_, _) => [(x.Type, like.Shape)])[0];

    /// <summary>Reshape to a run-time shape; <paramref name="shape"/> is what is known of the result at build time.</summary>
    public Value ReshapeDynamic(Value x, Value target, long[] shape) =>
        Op("Reshape", [x, target], [], (_, _) => [(x.Type, shape)])[0];

    /// <summary>Bilinear (linear) resize of the two last axes to a constant size, half-pixel centres (align_corners = false).</summary>
    public Value ResizeBilinear(Value x, long height, long width) =>
        Op("Resize", [x, null, null, Ints([.. x.Shape[..^2].Select(d => d), height, width])],
            [Attr.String("mode", "linear"), Attr.String("coordinate_transformation_mode", "half_pixel")],
            (_, _) => [(x.Type, [.. x.Shape[..^2], height, width])])[0];

    /// <summary>
    /// Bilinear (half-pixel) upsampling of the two last axes by an integer <paramref name="factor"/> (Resize with scales),
    /// so it also works on run-time sizes; with static sizes its gradient is <see cref="ResizeBilinear"/>'s.
    /// </summary>
    public Value UpsampleBilinear(Value x, long factor) =>
        Op("Resize", [x, null, Constant(new HostTensor<float>([.. x.Shape[..^2].Select(_ => 1f), factor, factor], x.Rank))],
            [Attr.String("mode", "linear"), Attr.String("coordinate_transformation_mode", "half_pixel")],
            (_, _) => [(x.Type, [.. x.Shape[..^2], .. x.Shape[^2..].Select(d => d < 0 ? -1 : d * factor)])])[0];

    /// <summary>ScatterElements with additive reduction along <paramref name="axis"/>.</summary>
    public Value ScatterAdd(Value data, Value indices, Value updates, long axis) =>
        Op("ScatterElements", [data, indices, updates], [Attr.Int("axis", axis), Attr.String("reduction", "add")], (_, _) => [(data.Type, data.Shape)])[0];

    /// <summary>A float tensor of zeros with the run-time shape of <paramref name="like"/>.</summary>
    public Value ZerosLike(Value like) =>
        like.IsStatic
            ? Constant(HostTensor<float>.Zeros(like.Shape))
            : Op("ConstantOfShape", [ShapeOf(like)], [Attr.Tensor("value", Packages.Onnx.TensorProtoWriter.Write(new HostTensor<float>([0f], 1)))], (_, _) => [(DataType.Float, like.Shape)])[0];

    /// <summary>The run-time element count of <paramref name="x"/> as a float scalar (rank 0).</summary>
    public Value SizeAsFloat(Value x) =>
        x.IsStatic
            ? Scalar(HostTensor<float>.ElementCount(x.Shape))
            : Cast(Op("Size", [x], [], (_, _) => [(DataType.Int64, [])])[0], DataType.Float);

    // ---- helpers ----

    private Value Unary(string op, Value x) => Op(op, [x], [], (_, _) => [(op == "Not" ? DataType.Bool : x.Type, x.Shape)])[0];

    private Value Binary(string op, Value a, Value b, DataType? result = null) =>
        Op(op, [a, b], [], (_, _) => [(result ?? a.Type, Broadcast(a.Shape, b.Shape))])[0];

    /// <summary>Numpy broadcasting of two shapes; -1 (unknown) against a known d > 1 gives d.</summary>
    public static long[] Broadcast(long[] a, long[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            long db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da == 1) result[i] = db;
            else if (db == 1) result[i] = da;
            else if (da < 0) result[i] = db;
            else if (db < 0 || da == db) result[i] = da;
            else throw new ArgumentException($"shapes [{string.Join(", ", a)}] and [{string.Join(", ", b)}] do not broadcast");
        }
        return result;
    }
}
