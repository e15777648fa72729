using WsssOnnx.Packages;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests;

public sealed class GraphBuilderTests
{
    [Fact]
    public void Model_declares_named_initializers_inputs_outputs_and_intermediate_shapes()
    {
        var g = new GraphBuilder("declared");
        var x = g.Input("image", DataType.Float, [-1, 3, 16, 16], ["batch", null, null, null]);
        Value y;
        using (g.Scope("stem"))
            y = g.Relu(g.Conv(x, g.Parameter("weight", HostTensor<float>.Zeros(8, 3, 3, 3)), strides: [2, 2], pads: [1, 1, 1, 1]));
        g.Output(g.GlobalAveragePool(y), "pooled");
        var model = g.ToModel();

        Assert.Equal(GraphBuilder.Opset, model.OpsetImport.Single().Version);
        Assert.Contains(model.Graph.Initializer, t => t.Name == "stem.weight");
        Assert.Equal("batch", model.Graph.Input.Single().Type.TensorType.Shape.Dim[0].DimParam);
        var conv = model.Graph.ValueInfo.Single(v => v.Name == y.Producer!.Inputs[0]!.Name);
        Assert.Equal([0L, 8L, 8L, 8L], conv.Type.TensorType.Shape.Dim.Select(d => d.DimValue));
        Assert.Equal([0L, 8L, 1L, 1L], model.Graph.Output.Single().Type.TensorType.Shape.Dim.Select(d => d.DimValue));
        OnnxChecker.AssertValid(model);
    }

    [Fact]
    public void Broadcasting_incompatible_shapes_is_a_build_error()
    {
        var g = new GraphBuilder("bad");
        var a = g.Input("a", DataType.Float, [2, 3]);
        var b = g.Input("b", DataType.Float, [4]);
        var error = Assert.Throws<ArgumentException>(() => a + b);
        Assert.Contains("do not broadcast", error.Message);
    }

    [Fact]
    public void Values_of_another_graph_are_rejected()
    {
        var g1 = new GraphBuilder("one");
        var g2 = new GraphBuilder("two");
        var a = g1.Input("a", DataType.Float, [2]);
        Assert.Throws<ArgumentException>(() => g2.Relu(a));
    }

    [Fact]
    public void A_shared_parameter_is_the_same_value_in_both_builds_and_gets_the_sum_of_both_uses_gradients()
    {
        var g = new GraphBuilder("shared");
        var x1 = g.Input("x1", DataType.Float, [3]);
        var x2 = g.Input("x2", DataType.Float, [3]);
        Value Build(Value x)
        {
            using (g.Scope("head")) return x * g.Parameter("weight", new HostTensor<float>([1f, 2f, 3f], 3));
        }
        var first = Build(x1);
        Assert.Throws<InvalidOperationException>(() => Build(x2));
        Value second;
        using (g.ShareParameters())
        {
            Assert.True(g.IsSharingParameters);
            second = Build(x2);
            Assert.Throws<InvalidOperationException>(() => g.Parameter("head.weight", HostTensor<float>.Zeros(4)));
        }
        Assert.False(g.IsSharingParameters);
        Assert.Single(g.Parameters);
        var loss = g.SumAll(first) + g.SumAll(second * second);
        var grad = Autodiff.GradientBuilder.Gradients(g, loss, [g.Parameters[0].Value])[0];
        g.Output(grad, "grad");
        float[] a = [1f, -2f, 0.5f], b = [3f, 1f, -1f];
        var outputs = Networks.NetworkSession.Run(g, ("x1", a, [3L]), ("x2", b, [3L]));
        // d/dw [sum(w x1) + sum((w x2)^2)] = x1 + 2 w x2^2.
        float[] w = [1f, 2f, 3f];
        Assert.Equal([.. Enumerable.Range(0, 3).Select(i => a[i] + 2 * w[i] * b[i] * b[i])], (float[])outputs["grad"].Data);
    }
}
