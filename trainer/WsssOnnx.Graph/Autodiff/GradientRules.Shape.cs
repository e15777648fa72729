namespace WsssOnnx.Graph.Autodiff;

public static partial class GradientRules
{
    private static void RegisterShape()
    {
        // Pure re-indexing ops that keep every element: the gradient is dY laid back in x's shape.
        foreach (var op in new[] { "Reshape", "Flatten", "Squeeze", "Unsqueeze" })
            Register(op, (c, n, dY) => [c.G.ReshapeLike(dY[0]!, n.In(0))]);

        Register("Transpose", (c, n, dY) =>
        {
            var perm = n.Ints("perm")!;
            var inverse = new long[perm.Length];
            for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
            return [c.G.Transpose(dY[0]!, inverse)];
        });

        // Expand broadcasts: sum back over the expanded axes.
        Register("Expand", (c, n, dY) => [c.ReduceToShape(dY[0]!, n.In(0))]);

        // Concat: each input receives its slice of dY along the axis.
        Register("Concat", (c, n, dY) =>
        {
            long axis = n.Int("axis", 0);
            var grads = new Value?[n.Inputs.Count];
            long offset = 0;
            for (int i = 0; i < grads.Length; i++)
            {
                long size = n.In(i).Dim((int)axis);
                if (size < 0) throw new NotSupportedException($"Concat gradient needs static sizes along axis {axis}; {n.In(i)} has none");
                grads[i] = c.G.Slice(dY[0]!, [offset], [offset + size], [axis]);
                offset += size;
            }
            return grads;
        });

        // Slice with steps +-1: dY goes back where it was taken from, zeros elsewhere (a Pad); step -1 flips it first.
        Register("Slice", (c, n, dY) =>
        {
            var x = n.In(0);
            long[] starts = ConstantInts(n.In(1)), ends = ConstantInts(n.In(2)), axes = ConstantInts(n.In(3));
            long[] steps = n.Inputs.Count > 4 && n.Inputs[4] is { } s ? ConstantInts(s) : [.. axes.Select(_ => 1L)];
            var g = dY[0]!;
            var pads = new long[2 * x.Rank];
            for (int k = 0; k < axes.Length; k++)
            {
                int axis = (int)(axes[k] < 0 ? axes[k] + x.Rank : axes[k]);
                long dim = x.Shape[axis];
                if (steps[k] == -1) g = c.G.Flip(g, axis);
                else if (steps[k] != 1) throw new NotSupportedException("Slice gradient supports steps 1 and -1");
                if (dim < 0)
                {
                    // Unknown length: only a slice over the whole axis (e.g. a flip) can be undone without it.
                    bool whole = steps[k] == 1 ? starts[k] == 0 && ends[k] >= int.MaxValue : starts[k] == -1 && ends[k] <= int.MinValue;
                    if (!whole) throw new NotSupportedException($"Slice gradient needs a static size on axis {axis} of {x} unless the slice is the whole axis");
                    continue;
                }
                long first, last; // the kept index range [first, last] in x
                if (steps[k] == 1)
                {
                    first = Math.Clamp(starts[k] < 0 ? starts[k] + dim : starts[k], 0, dim);
                    last = Math.Clamp(ends[k] < 0 ? ends[k] + dim : ends[k], 0, dim) - 1;
                }
                else
                {
                    last = Math.Clamp(starts[k] < 0 ? starts[k] + dim : starts[k], 0, dim - 1);
                    first = Math.Clamp(ends[k] < 0 && ends[k] > long.MinValue ? ends[k] + dim : ends[k], -1, dim - 1) + 1;
                }
                pads[axis] = first;
                pads[axis + x.Rank] = dim - 1 - last;
            }
            return [pads.Any(p => p != 0) ? c.G.Pad(g, pads) : g];
        });

        // Constant Pad: the gradient is the un-padded window of dY.
        Register("Pad", (c, n, dY) =>
        {
            var x = n.In(0);
            long[] pads = ConstantInts(n.In(1));
            if (pads.Any(p => p < 0)) throw new NotSupportedException("Pad gradient supports non-negative pads");
            var axes = Enumerable.Range(0, x.Rank).Where(a => pads[a] != 0 || pads[a + x.Rank] != 0).Select(a => (long)a).ToArray();
            if (axes.Length == 0) return [dY[0]];
            return [c.G.Slice(dY[0]!, [.. axes.Select(a => pads[a])], [.. axes.Select(a => pads[a + x.Rank] == 0 ? long.MaxValue : -pads[a + x.Rank])], axes)];
        });
    }

    /// <summary>The values of a constant int64 initializer (shapes, axes, pads) made by <see cref="GraphBuilder.Ints"/>.</summary>
    private static long[] ConstantInts(Value v) =>
        v.Owner.ConstantValue<long>(v) ?? throw new NotSupportedException($"{v} must be a build-time constant for this gradient");
}
