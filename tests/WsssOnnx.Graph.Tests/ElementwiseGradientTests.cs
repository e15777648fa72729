using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;

namespace WsssOnnx.Graph.Tests;

public sealed class ElementwiseGradientTests(ITestOutputHelper output)
{
    private readonly GradientCheck _check = new(output);

    [Fact]
    public void Add_sub_mul_div_with_broadcasting_match_finite_differences()
    {
        var rng = new Random(11);
        var a = Random(rng, 2, 3, 4);
        var b = Random(rng, 3, 1);
        var positive = new Packages.HostTensor<float>([.. RandomData(rng, 4).Select(v => 1.5f + v)], 1, 4);
        _check.Check("add", 11, (g, x) => x[0] + x[1], a, b);
        _check.Check("sub", 12, (g, x) => x[1] - x[0], a, b);
        _check.Check("mul", 13, (g, x) => x[0] * x[1], a, b);
        _check.Check("div", 14, (g, x) => x[0] / x[1], a, positive);
    }

    [Fact]
    public void Unary_ops_match_finite_differences()
    {
        var rng = new Random(21);
        var x = AwayFromZero(rng, 0.1, 3, 5);
        var positive = new Packages.HostTensor<float>([.. RandomData(rng, 15).Select(v => 1.2f + v)], 3, 5);
        _check.Check("neg", 21, (g, v) => -v[0], x);
        _check.Check("relu", 22, (g, v) => g.Relu(v[0]), x);
        _check.Check("abs", 23, (g, v) => g.Abs(v[0]), x);
        _check.Check("sigmoid", 24, (g, v) => g.Sigmoid(v[0]), x);
        _check.Check("exp", 25, (g, v) => g.Exp(v[0]), x);
        _check.Check("softplus", 26, (g, v) => g.Softplus(v[0]), x);
        _check.Check("log", 27, (g, v) => g.Log(v[0]), positive);
        _check.Check("sqrt", 28, (g, v) => g.Sqrt(v[0]), positive);
        _check.Check("reciprocal", 29, (g, v) => g.Reciprocal(v[0]), positive);
        _check.Check("pow", 30, (g, v) => g.Pow(v[0], v[1]), positive, new Packages.HostTensor<float>([1.5f]));
        _check.Check("clip", 31, (g, v) => g.Clip(v[0], -0.5f, 0.6f), AwayFromZero(rng, 0.05, 4, 4));
        _check.Check("identity_cast", 32, (g, v) => g.Cast(g.Identity(v[0]), Onnx.TensorProto.Types.DataType.Float), x);
    }

    [Fact]
    public void Where_and_sum_route_gradients_to_the_right_inputs()
    {
        var rng = new Random(41);
        var a = AwayFromZero(rng, 0.05, 2, 6); // the condition must not flip within +-eps
        var b = Random(rng, 6);
        var c = Random(rng, 2, 1);
        _check.Check("where", 41, (g, x) => g.Where(g.Greater(x[0], g.Scalar(0f)), x[1], x[2]), a, b, c);
        _check.Check("sum", 42, (g, x) => g.Sum([x[0], x[1], x[2], x[0]]), a, b, c);
    }
}
