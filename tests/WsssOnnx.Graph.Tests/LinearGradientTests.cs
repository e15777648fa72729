using WsssOnnx.Packages;
using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;

namespace WsssOnnx.Graph.Tests;

public sealed class LinearGradientTests(ITestOutputHelper output)
{
    private readonly GradientCheck _check = new(output);

    public static TheoryData<string, long[], long[], long[], long, bool> ConvCases() => new()
    {
        // name, strides, pads [t, l, b, r], dilations, group, bias
        { "plain", [1, 1], [0, 0, 0, 0], [1, 1], 1, false },
        { "strided_padded", [2, 2], [1, 1, 1, 1], [1, 1], 1, true },
        { "stride_leaves_rows", [2, 3], [0, 1, 0, 0], [1, 1], 1, false },
        { "dilated", [1, 1], [2, 2, 2, 2], [2, 2], 1, true },
        { "strided_dilated_asymmetric_pads", [2, 2], [1, 0, 2, 1], [2, 1], 1, false },
        { "grouped", [1, 1], [1, 1, 1, 1], [1, 1], 2, true },
        { "grouped_strided_dilated", [2, 2], [2, 2, 2, 2], [2, 2], 2, false },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv_input_weight_and_bias_gradients_match_finite_differences(string name, long[] strides, long[] pads, long[] dilations, long group, bool bias)
    {
        int seed = name.GetHashCode(StringComparison.Ordinal) & 0xffff;
        var rng = new Random(seed);
        var x = Random(rng, 2, 4, 9, 8);
        var w = Random(rng, 6, 4 / group, 3, 3);
        var b = Random(rng, 6);
        GradientCheck.Function f = (g, v) => g.Conv(v[0], v[1], bias ? v[2] : null, strides, pads, dilations, group);
        var inputs = bias ? new[] { x, w, b } : [x, w];
        _check.Check($"conv_{name}", seed, f, inputs);
        // The same graph with the spatial sizes (and batch) known only at run time.
        _check.Check($"conv_{name}_dynamic", seed, f, inputs, dynamicAxes: [[0, 2, 3]]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Pointwise_conv_weight_gradient_as_a_matrix_product_matches_finite_differences(long stride)
    {
        var rng = new Random(17 + (int)stride);
        GradientCheck.Function f = (g, v) => g.Conv(v[0], v[1], strides: [stride, stride]);
        HostTensor<float>[] inputs = [Random(rng, 2, 5, 7, 6), Random(rng, 4, 5, 1, 1)];
        _check.Check($"conv_1x1_s{stride}", 17, f, inputs);
        _check.Check($"conv_1x1_s{stride}_dynamic", 17, f, inputs, dynamicAxes: [[0, 2, 3]]);
    }

    [Fact]
    public void Conv_with_kernel_larger_than_stride_and_odd_sizes_keeps_input_shape()
    {
        var rng = new Random(5);
        _check.Check("conv_7x7_s2", 5, (g, v) => g.Conv(v[0], v[1], strides: [2, 2], pads: [3, 3, 3, 3]), Random(rng, 1, 3, 11, 13), Random(rng, 4, 3, 7, 7));
    }

    [Fact]
    public void MatMul_and_gemm_gradients_match_finite_differences()
    {
        var rng = new Random(61);
        _check.Check("matmul", 61, (g, v) => g.MatMul(v[0], v[1]), Random(rng, 3, 4), Random(rng, 4, 5));
        _check.Check("matmul_batched_broadcast", 62, (g, v) => g.MatMul(v[0], v[1]), Random(rng, 2, 3, 4), Random(rng, 4, 2));
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                var a = ta ? Random(rng, 4, 3) : Random(rng, 3, 4);
                var b = tb ? Random(rng, 5, 4) : Random(rng, 4, 5);
                _check.Check($"gemm_ta{ta}_tb{tb}", 63, (g, v) => g.Gemm(v[0], v[1], v[2], ta, tb, alpha: 0.7f, beta: 1.3f), a, b, Random(rng, 5));
            }
        }
    }

    [Fact]
    public void Batch_normalization_inference_form_gradients_match_finite_differences()
    {
        var rng = new Random(71);
        var mean = Random(rng, 3);
        var variance = new HostTensor<float>([0.5f, 1.2f, 2.0f], 3);
        _check.Check("batchnorm", 71, (g, v) => g.BatchNormalization(v[0], v[1], v[2], g.Constant(mean), g.Constant(variance)),
            Random(rng, 2, 3, 4, 5), Random(rng, 3), Random(rng, 3));
    }

    [Fact]
    public void MaxPool_gradient_accumulates_over_overlapping_windows()
    {
        var rng = new Random(81);
        // Distinct values 0.05 apart: no maximum changes within +-eps.
        _check.Check("maxpool_3x3_s2", 81, (g, v) => g.MaxPool(v[0], [3, 3], [2, 2], [1, 1, 1, 1]).Y, Distinct(rng, 0.05, 2, 2, 7, 6));
        _check.Check("maxpool_2x2", 82, (g, v) => g.MaxPool(v[0], [2, 2], [2, 2], [0, 0, 0, 0]).Y, Distinct(rng, 0.05, 1, 2, 4, 4));
    }

    [Fact]
    public void Resize_bilinear_gradient_matches_finite_differences()
    {
        var rng = new Random(91);
        _check.Check("resize_up", 91, (g, v) => g.ResizeBilinear(v[0], 11, 7), Random(rng, 1, 2, 4, 3));
        _check.Check("resize_down", 92, (g, v) => g.ResizeBilinear(v[0], 3, 5), Random(rng, 2, 1, 7, 9));
    }
}
