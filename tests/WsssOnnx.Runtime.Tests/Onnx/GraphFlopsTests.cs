using WsssOnnx.Onnx;
using WsssOnnx.Packages.Onnx;
using static WsssOnnx.Runtime.Tests.TestModels;

namespace WsssOnnx.Runtime.Tests.Onnx;

public sealed class GraphFlopsTests
{
    /// <summary>
    /// Conv (x [N,3,8,8], w [4,3,3,3], pads 1) then Relu, and beside it MatMul [2,5]x[5,7] then Gemm with B transposed
    /// ([3,7]). By hand: Conv N·4·8·8 outputs × 3·3·3 = 6912·N multiply-accumulates, MatMul 2·7 × 5 = 70, Gemm 2·3 × 7 = 42;
    /// FLOPs are twice that. Relu is not counted.
    /// </summary>
    [Fact]
    public void Matrix_products_are_counted_from_the_shapes_the_model_and_the_inputs_give()
    {
        var graph = new GraphProto { Name = "flops" };
        graph.Input.Add(Value("x", TensorProto.Types.DataType.Float, -1, 3, 8, 8));
        graph.Input.Add(Value("a", TensorProto.Types.DataType.Float, 2, 5));
        graph.Initializer.Add(FloatTensor("w", new float[4 * 3 * 3 * 3], 4, 3, 3, 3));
        graph.Initializer.Add(FloatTensor("m", new float[5 * 7], 5, 7));
        graph.Initializer.Add(FloatTensor("g", new float[3 * 7], 3, 7));
        var conv = Node("Conv", ["x", "w"], ["y"]);
        conv.Attribute.Add(new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 1, 1, 1 } });
        graph.Node.Add(conv);
        graph.Node.Add(Node("Relu", ["y"], ["r"]));
        graph.Node.Add(Node("MatMul", ["a", "m"], ["p"]));
        var gemm = Node("Gemm", ["p", "g"], ["q"]);
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(gemm);
        graph.Output.Add(Value("r", TensorProto.Types.DataType.Float, -1, 4, 8, 8));
        graph.Output.Add(Value("q", TensorProto.Types.DataType.Float, 2, 3));
        var model = ModelProto.Parser.ParseFrom(Model(graph));

        Assert.Equal((2L * (6912 + 70 + 42), 0), GraphFlops.Count(model, new Dictionary<string, long[]> { ["x"] = [1, 3, 8, 8] }));
        // A batch of 2 doubles the convolution's share only.
        Assert.Equal((2L * (2 * 6912 + 70 + 42), 0), GraphFlops.Count(model, new Dictionary<string, long[]> { ["x"] = [2, 3, 8, 8] }));
        // Without the batch the convolution's shape is unknown: reported as uncounted, not guessed.
        Assert.Equal((2L * (70 + 42), 1), GraphFlops.Count(model, new Dictionary<string, long[]>()));
    }
}
