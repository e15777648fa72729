using Google.Protobuf;
using WsssOnnx.Onnx;

namespace WsssOnnx.Runtime.Tests;

/// <summary>Small ONNX models built directly from the IR messages, for exercising the runtime layer.</summary>
internal static class TestModels
{
    /// <summary>y = Relu(x · W) + x, repeated <paramref name="layers"/> times; x, y are [batch, size] floats with a free batch dimension.</summary>
    public static byte[] DenseStack(int layers, int size, int seed)
    {
        var rng = new Random(seed);
        var graph = new GraphProto { Name = "dense_stack" };
        graph.Input.Add(Value("x", TensorProto.Types.DataType.Float, -1, size));
        string current = "x";
        for (int l = 0; l < layers; l++)
        {
            var w = new float[size * size];
            for (int i = 0; i < w.Length; i++) w[i] = (float)((rng.NextDouble() * 2 - 1) / Math.Sqrt(size));
            graph.Initializer.Add(FloatTensor($"w{l}", w, size, size));
            graph.Node.Add(Node("MatMul", [current, $"w{l}"], [$"m{l}"]));
            graph.Node.Add(Node("Relu", [$"m{l}"], [$"r{l}"]));
            string next = l == layers - 1 ? "y" : $"h{l}";
            graph.Node.Add(Node("Add", [$"r{l}", current], [next]));
            current = next;
        }
        graph.Output.Add(Value("y", TensorProto.Types.DataType.Float, -1, size));
        return Model(graph);
    }

    /// <summary>A model whose static input cannot be reshaped as declared: it loads but every run (the warm-up too) fails.</summary>
    public static byte[] AlwaysFailingReshape()
    {
        var graph = new GraphProto { Name = "bad_reshape" };
        graph.Input.Add(Value("x", TensorProto.Types.DataType.Float, 2, 3));
        var shape = new TensorProto { Name = "shape", DataType = (int)TensorProto.Types.DataType.Int64 };
        shape.Dims.Add(1);
        shape.Int64Data.Add(7);
        graph.Initializer.Add(shape);
        graph.Node.Add(Node("Reshape", ["x", "shape"], ["y"]));
        graph.Output.Add(Value("y", TensorProto.Types.DataType.Float, 7));
        return Model(graph);
    }

    public static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{outputs[0]}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }

    public static TensorProto FloatTensor(string name, float[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        var bytes = new byte[data.Length * sizeof(float)];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    /// <summary>A tensor value info; a negative dimension becomes the symbolic dimension "N".</summary>
    public static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static byte[] Model(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "wsss-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }

    public static float[] RandomFloats(Random rng, int count)
    {
        var data = new float[count];
        for (int i = 0; i < count; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return data;
    }
}
