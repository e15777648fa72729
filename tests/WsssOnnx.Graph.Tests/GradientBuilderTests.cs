using WsssOnnx.Graph.Autodiff;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests;

public sealed class GradientBuilderTests(ITestOutputHelper output)
{
    private readonly GradientCheck _check = new(output);

    private static float[] Run(GraphBuilder g, string outputName, params (string Name, HostTensor<float> Value)[] feeds)
    {
        using var session = ModelSession.Load(g.ToBytes(), g.Name, new SessionConfig { WarmUp = false });
        var inputs = feeds.Select(f => SessionInput.Create(f.Name, f.Value)).ToList();
        using var result = session.Run(inputs, [outputName]);
        foreach (var i in inputs) i.Dispose();
        return result.Span<float>(outputName).ToArray();
    }

    [Fact]
    public void Stop_gradient_treats_a_value_as_constant()
    {
        // L = sum(x * sg(x)): dL/dx = sg(x) = x, not 2x.
        var g = new GraphBuilder("stop");
        var x = g.Input("x", DataType.Float, [4]);
        var loss = g.SumAll(x * g.StopGradient(x));
        g.Output(GradientBuilder.Gradients(g, loss, [x])[0], "dx");
        var value = new HostTensor<float>([1f, -2f, 3f, 0.5f], 4);
        Assert.Equal(value.Data, Run(g, "dx", ("x", value)));
    }

    [Fact]
    public void A_value_used_twice_accumulates_both_gradients()
    {
        var rng = new Random(3);
        _check.Check("reuse", 3, (g, v) => g.Relu(v[0]) * v[0] + g.Sigmoid(v[0]), AwayFromZero(rng, 0.1, 3, 3));
    }

    [Fact]
    public void Objective_independent_of_a_value_gives_zeros()
    {
        var g = new GraphBuilder("independent");
        var x = g.Input("x", DataType.Float, [3]);
        var y = g.Input("y", DataType.Float, [2]);
        var loss = g.SumAll(x * x);
        var grads = GradientBuilder.Gradients(g, loss, [x, y]);
        g.Output(grads[1], "dy");
        Assert.Equal(new float[2], Run(g, "dy", ("x", HostTensor<float>.Zeros(3)), ("y", new HostTensor<float>([5f, 6f], 2))));
    }

    [Fact]
    public void Identical_subexpressions_are_built_once_and_unused_branches_are_pruned()
    {
        var g = new GraphBuilder("cse");
        var x = g.Input("x", DataType.Float, [2, 3]);
        var a = g.Relu(x);
        var b = g.Relu(x);
        Assert.Same(a, b);
        Assert.Same(g.Scalar(2f), g.Scalar(2f));
        _ = g.Exp(x); // never used by an output
        var loss = g.SumAll(a * a);
        g.Output(loss, "loss");
        g.Output(GradientBuilder.Gradients(g, loss, [x])[0], "dx");
        var model = g.ToModel();
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Exp");
        Assert.Single(model.Graph.Node, n => n.OpType == "Relu");
        // The Relu rule's mask and the Mul rule's products are each built once.
        Assert.Equal(model.Graph.Node.Count, model.Graph.Node.Select(n => n.OpType + string.Join(",", n.Input)).Distinct().Count());
    }

    [Fact]
    public void Gradients_only_follow_paths_from_the_chosen_values()
    {
        // Gradient w.r.t. x only: nothing is computed for the weight w.
        var g = new GraphBuilder("paths");
        var x = g.Input("x", DataType.Float, [1, 2, 5, 5]);
        var w = g.Parameter("w", HostTensor<float>.Zeros(3, 2, 3, 3));
        var loss = g.SumAll(g.Conv(x, w));
        g.Output(GradientBuilder.Gradients(g, loss, [x])[0], "dx");
        var ops = g.ToModel().Graph.Node.Select(n => n.OpType).ToList();
        Assert.Contains("ConvTranspose", ops);
        Assert.Equal(1, ops.Count(o => o == "Conv")); // no weight-gradient convolution
    }

    [Fact]
    public void A_non_scalar_objective_is_rejected()
    {
        var g = new GraphBuilder("bad");
        var x = g.Input("x", DataType.Float, [3]);
        Assert.Throws<ArgumentException>(() => GradientBuilder.Gradients(g, x * x, [x]));
    }

    [Fact]
    public void An_op_without_a_rule_is_named_in_the_error()
    {
        var error = Assert.Throws<NotSupportedException>(() => GradientRules.For("Einsum"));
        Assert.Contains("Einsum", error.Message);
    }
}
