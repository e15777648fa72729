using WsssOnnx.Packages;

namespace WsssOnnx.Graph.Autodiff;

public static partial class GradientRules
{
    private static void RegisterLinear()
    {
        // Y = A B (batched): dA = dY B^T, dB = A^T dY, each summed over broadcast batch axes.
        Register("MatMul", (c, n, dY) =>
        {
            Value a = n.In(0), b = n.In(1);
            return [c.ReduceToShape(c.G.MatMul(dY[0]!, SwapLast(c, b)), a), c.ReduceToShape(c.G.MatMul(SwapLast(c, a), dY[0]!), b)];
        });

        // Y = alpha op(A) op(B) + beta C.
        Register("Gemm", (c, n, dY) =>
        {
            Value a = n.In(0), b = n.In(1), g = dY[0]!;
            bool ta = n.Int("transA", 0) == 1, tb = n.Int("transB", 0) == 1;
            float alpha = n.Float("alpha", 1f), beta = n.Float("beta", 1f);
            // dA = alpha dY op(B)^T (transposed back if A was), dB = alpha op(A)^T dY (likewise).
            var dA = ta ? c.G.Gemm(b, g, transA: tb, transB: true, alpha: alpha) : c.G.Gemm(g, b, transB: !tb, alpha: alpha);
            var dB = tb ? c.G.Gemm(g, a, transA: true, transB: ta, alpha: alpha) : c.G.Gemm(a, g, transA: !ta, alpha: alpha);
            Value? dC = n.Inputs.Count > 2 && n.Inputs[2] is { } cIn ? c.ReduceToShape(g * beta, cIn) : null;
            return [dA, dB, dC];
        });

        Register("Conv", ConvGradient);
        Register("BatchNormalization", BatchNormGradient);
        Register("MaxPool", MaxPoolGradient);
        Register("Resize", ResizeGradient);
    }

    private static Value SwapLast(GradientContext c, Value x)
    {
        var perm = Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return c.G.Transpose(x, perm);
    }

    /// <summary>
    /// Y = Conv(X, W, b; stride s, dilation d, pads p, group g).
    /// dX = ConvTranspose(dY, W) with the same s, d, p, g, and output padding to X's size (rows no window reached get 0).
    /// dW[m,c,i,j] = sum_{n,y,x} dY[n,m,y,x] Xpad[n,c,y s + i d, x s + j d]: a convolution of X (batch and channels
    /// swapped) with dY as the kernel, stride d and dilation s, cropped to the kernel size.
    /// db = sum of dY over N, H, W.
    /// </summary>
    private static Value?[] ConvGradient(GradientContext c, GraphNode n, Value?[] dY)
    {
        Value x = n.In(0), w = n.In(1), g = dY[0]!;
        long[] s = n.Ints("strides")!, p = n.Ints("pads")!, d = n.Ints("dilations")!;
        long group = n.Int("group", 1);
        long kh = w.Shape[2], kw = w.Shape[3];

        Value dX;
        if (x.Shape[2] >= 0 && x.Shape[3] >= 0 && g.Shape[2] >= 0 && g.Shape[3] >= 0)
        {
            long[] outputPadding =
            [
                x.Shape[2] - (s[0] * (g.Shape[2] - 1) + d[0] * (kh - 1) + 1 - p[0] - p[2]),
                x.Shape[3] - (s[1] * (g.Shape[3] - 1) + d[1] * (kw - 1) + 1 - p[1] - p[3]),
            ];
            dX = c.G.ConvTranspose(g, w, s, p, d, group, outputPadding);
        }
        else
        {
            // Sizes known only at run time: transpose cropping only the leading pads (the trailing pad may cover real
            // rows when the last window stops short), then crop or zero-pad the end to X's size.
            var t = c.G.ConvTranspose(g, w, s, [p[0], p[1], 0, 0], d, group, [0, 0]);
            var size = c.G.Slice(c.G.ShapeOf(x), [2], [4], [0]);
            var cropped = c.G.SliceDynamic(t, c.G.Ints(0, 0), size, c.G.Ints(2, 3), [t.Shape[0], t.Shape[1], x.Shape[2], x.Shape[3]]);
            var missing = c.G.Sub(c.G.ShapeOf(x), c.G.ShapeOf(cropped)); // [0, 0, dh, dw], rows no window reached
            dX = c.G.PadDynamic(cropped, c.G.Concat([c.G.Ints(0, 0, 0, 0), missing], 0), x);
        }

        Value dW;
        long cPerGroup = w.Shape[1];
        if (group == 1)
        {
            dW = WeightGradientByColumns(c, x, g, w, s, p, d);
        }
        else
        {
            // Group k's kernels see channels k*C/g.. of X: fold the groups into the channel axis, batch into "channels".
            long mPerGroup = w.Shape[0] / group;
            var x5 = SplitChannels(c, x, group, cPerGroup);                     // [N, g, C/g, H, W]
            var xt = c.G.Transpose(x5, 2, 1, 0, 3, 4);                          // [C/g, g, N, H, W]
            var xg = c.G.ReshapeDynamic(xt, c.G.Concat([c.G.Ints(cPerGroup, -1), c.G.Slice(c.G.ShapeOf(x), [2], [4], [0])], 0),
                [cPerGroup, -1, x.Shape[2], x.Shape[3]]);                       // [C/g, g*N, H, W]
            var g5 = SplitChannels(c, g, group, mPerGroup);                     // [N, g, M/g, Ho, Wo]
            var gt = c.G.Transpose(g5, 1, 2, 0, 3, 4);                          // [g, M/g, N, Ho, Wo]
            var gk = c.G.ReshapeDynamic(gt, c.G.Concat([c.G.Ints(w.Shape[0], -1), c.G.Slice(c.G.ShapeOf(g), [2], [4], [0])], 0),
                [w.Shape[0], -1, g.Shape[2], g.Shape[3]]);                      // [M, N, Ho, Wo]
            var full = c.G.Conv(xg, gk, strides: d, pads: p, dilations: s, group: group); // [C/g, M, kh', kw']
            dW = c.G.Transpose(c.G.Slice(full, [0, 0], [kh, kw], [2, 3]), 1, 0, 2, 3);
        }

        Value? db = n.Inputs.Count > 2 && n.Inputs[2] is not null ? c.G.ReduceSum(g, [0, 2, 3], keepDims: false) : null;
        return [dX, dW, db];
    }

    /// <summary>
    /// dW for an ungrouped convolution as one batched matrix product: the columns of X (for each kernel tap (i, j), X
    /// padded and sampled at y s + i d, x s + j d: im2col) [N, C kh kw, P] times dY [N, M, P] transposed, summed over
    /// N. The smaller of dY and the columns is the one transposed.
    /// </summary>
    private static Value WeightGradientByColumns(GradientContext c, Value x, Value g, Value w, long[] s, long[] p, long[] d)
    {
        long kh = w.Shape[2], kw = w.Shape[3], m = w.Shape[0], channels = w.Shape[1];
        var xp = p.Any(v => v != 0) ? c.G.Pad(x, [0, 0, p[0], p[1], 0, 0, p[2], p[3]]) : x;
        var taps = new List<Value>();
        for (long i = 0; i < kh; i++)
        {
            for (long j = 0; j < kw; j++)
            {
                // Rows i d, i d + s, ...: ending d (kh - 1 - i) before the padded edge leaves exactly Ho of them.
                long endY = i == kh - 1 ? long.MaxValue : -d[0] * (kh - 1 - i);
                long endX = j == kw - 1 ? long.MaxValue : -d[1] * (kw - 1 - j);
                var tap = kh == 1 && kw == 1 && s[0] == 1 && s[1] == 1 ? xp : c.G.Slice(xp, [i * d[0], j * d[1]], [endY, endX], [2, 3], s);
                taps.Add(c.G.Unsqueeze(c.G.Reshape(tap, 0, 0, -1), 2));        // [N, C, 1, P]
            }
        }
        var columns = c.G.Reshape(c.G.Concat(taps, 2), 0, channels * kh * kw, -1);  // [N, C kh kw, P]
        var dy = c.G.Reshape(g, 0, 0, -1);                                          // [N, M, P]
        Value product; // [M, C kh kw]
        if (m <= channels * kh * kw)
            product = c.G.Transpose(c.G.ReduceSum(c.G.MatMul(columns, c.G.Transpose(dy, 0, 2, 1)), [0], keepDims: false), 1, 0);
        else
            product = c.G.ReduceSum(c.G.MatMul(dy, c.G.Transpose(columns, 0, 2, 1)), [0], keepDims: false);
        return c.G.Reshape(product, m, channels, kh, kw);
    }

    /// <summary>[N, g*k, H, W] -> [N, g, k, H, W], with N, H, W possibly known only at run time.</summary>
    private static Value SplitChannels(GradientContext c, Value v, long groups, long perGroup)
    {
        var shape = c.G.ShapeOf(v);
        var target = c.G.Concat([c.G.Slice(shape, [0], [1], [0]), c.G.Ints(groups, perGroup), c.G.Slice(shape, [2], [4], [0])], 0);
        return c.G.ReshapeDynamic(v, target, [v.Shape[0], groups, perGroup, v.Shape[2], v.Shape[3]]);
    }

    /// <summary>
    /// Inference-form BatchNormalization y = (x - mu) r scale + bias, r = 1 / sqrt(var + eps), statistics constant:
    /// dx = dy scale r, dscale = sum dy (x - mu) r, dbias = sum dy (sums over N, H, W). No gradient to mu or var.
    /// (Training-form batch normalisation is built from primitive ops, so autodiff differentiates the batch statistics.)
    /// </summary>
    private static Value?[] BatchNormGradient(GradientContext c, GraphNode n, Value?[] dY)
    {
        if (n.Int("training_mode", 0) != 0) throw new NotSupportedException("BatchNormalization gradient is for the inference form");
        Value x = n.In(0), scale = n.In(1), mean = n.In(3), variance = n.In(4), g = dY[0]!;
        float eps = n.Float("epsilon", 1e-5f);
        long channels = scale.Shape[0];
        var r = c.G.Reciprocal(c.G.Sqrt(variance + c.G.Scalar(eps)));
        Value PerChannel(Value v) => c.G.Reshape(v, 1, channels, 1, 1);
        var dx = g * PerChannel(scale * r);
        var xhat = (x - PerChannel(mean)) * PerChannel(r);
        var dscale = c.G.ReduceSum(g * xhat, [0, 2, 3], keepDims: false);
        var dbias = c.G.ReduceSum(g, [0, 2, 3], keepDims: false);
        return [dx, dscale, dbias, null, null];
    }

    /// <summary>MaxPool: dY is added at the flat NCHW index of each window's maximum (overlapping windows accumulate).</summary>
    private static Value?[] MaxPoolGradient(GradientContext c, GraphNode n, Value?[] dY)
    {
        var x = n.In(0);
        var flatX = c.G.Reshape(x, -1);
        var scattered = c.G.ScatterAdd(c.G.ZerosLike(flatX), c.G.Reshape(n.Outputs[1], -1), c.G.Reshape(dY[0]!, -1), 0);
        return [c.G.ReshapeLike(scattered, x)];
    }

    /// <summary>
    /// Bilinear Resize (half-pixel) of the last two axes is Y = Rh X Rw^T with constant interpolation matrices, so
    /// dX = Rh^T dY Rw. Needs the input and output sizes at build time.
    /// </summary>
    private static Value?[] ResizeGradient(GradientContext c, GraphNode n, Value?[] dY)
    {
        var x = n.In(0);
        var y = n.Outputs[0];
        if (n.String("mode", "nearest") != "linear" || n.String("coordinate_transformation_mode", "half_pixel") != "half_pixel")
            throw new NotSupportedException("Resize gradient supports mode=linear with half_pixel coordinates");
        long hi = x.Dim(-2), wi = x.Dim(-1), ho = y.Dim(-2), wo = y.Dim(-1);
        if (hi < 0 || wi < 0 || ho < 0 || wo < 0) throw new NotSupportedException("Resize gradient needs static spatial sizes");
        var rhT = c.G.Constant(Transposed(LinearInterpolation.Matrix((int)hi, (int)ho), (int)ho, (int)hi));
        var rw = c.G.Constant(LinearInterpolation.Matrix((int)wi, (int)wo));
        return [c.G.MatMul(c.G.MatMul(rhT, dY[0]!), rw)];
    }

    private static HostTensor<float> Transposed(HostTensor<float> m, int rows, int cols)
    {
        var t = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < cols; k++)
                t[k * rows + r] = m.Data[r * cols + k];
        return new HostTensor<float>(t, cols, rows);
    }
}
