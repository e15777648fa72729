using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;

namespace WsssOnnx.Graph.Tests;

public sealed class ReductionAndShapeGradientTests(ITestOutputHelper output)
{
    private readonly GradientCheck _check = new(output);

    [Fact]
    public void Reductions_match_finite_differences()
    {
        var rng = new Random(101);
        var x = Random(rng, 2, 3, 4, 5);
        _check.Check("reduce_sum_keep", 101, (g, v) => g.ReduceSum(v[0], [1, 3]), x);
        _check.Check("reduce_sum_drop", 102, (g, v) => g.ReduceSum(v[0], [0, 2], keepDims: false), x);
        _check.Check("reduce_mean_keep", 103, (g, v) => g.ReduceMean(v[0], [2, 3]), x);
        _check.Check("reduce_mean_drop_dynamic", 104, (g, v) => g.ReduceMean(v[0], [-1], keepDims: false), [x], dynamicAxes: [[0]]);
        _check.Check("reduce_max", 105, (g, v) => g.ReduceMax(v[0], [2, 3], keepDims: false), Distinct(rng, 0.05, 2, 3, 4, 5));
        _check.Check("global_average_pool", 106, (g, v) => g.GlobalAveragePool(v[0]), x);
        _check.Check("global_average_pool_dynamic", 107, (g, v) => g.GlobalAveragePool(v[0]), [x], dynamicAxes: [[2, 3]]);
        _check.Check("softmax", 108, (g, v) => g.Softmax(v[0], 1), x);
        _check.Check("log_softmax", 109, (g, v) => g.LogSoftmax(v[0], 1), x);
    }

    [Fact]
    public void Shape_ops_match_finite_differences()
    {
        var rng = new Random(111);
        var x = Random(rng, 2, 3, 4);
        _check.Check("reshape", 111, (g, v) => g.Reshape(v[0], 4, -1), x);
        _check.Check("flatten", 112, (g, v) => g.Flatten(v[0], 2), x);
        _check.Check("squeeze_unsqueeze", 113, (g, v) => g.Squeeze(g.Unsqueeze(v[0], 1), 1) * g.Unsqueeze(v[0], 0), x);
        _check.Check("transpose", 114, (g, v) => g.Transpose(v[0], 2, 0, 1), x);
        _check.Check("expand", 115, (g, v) => g.ExpandLike(v[0], v[1]), Random(rng, 3, 1), Random(rng, 2, 3, 4));
        _check.Check("concat", 116, (g, v) => g.Concat([v[0], v[1], v[0]], 1), x, Random(rng, 2, 2, 4));
        _check.Check("slice", 117, (g, v) => g.Slice(v[0], [1, -3], [3, 100], [1, 2]), x);
        _check.Check("flip", 118, (g, v) => g.Flip(v[0], 2) * v[0], x);
        _check.Check("flip_dynamic", 119, (g, v) => g.Flip(v[0], 2) * v[0], [x], dynamicAxes: [[2]]);
        _check.Check("pad", 120, (g, v) => g.Pad(v[0], [0, 1, 2, 1, 0, 3]), x);
    }
}
