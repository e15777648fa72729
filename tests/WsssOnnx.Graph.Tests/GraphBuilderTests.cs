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
}
