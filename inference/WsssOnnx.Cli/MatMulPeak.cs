using System.Diagnostics;
using Google.Protobuf;
using WsssOnnx.Onnx;
using WsssOnnx.Runtime;

namespace WsssOnnx.Cli;

/// <summary>
/// The machine's practical matrix-multiply rate under ONNX Runtime: Y = A B with n x n float matrices, a one-node ONNX
/// model built in memory from our ONNX messages and run on the session configuration the benchmark uses, so that a
/// network's achieved GFLOP/s has a ceiling measured on the same threads.
/// </summary>
internal static class MatMulPeak
{
    /// <summary>Median seconds of one n x n x n product over <paramref name="repeats"/> runs after one warm-up, and its GFLOP/s (2 n³ FLOPs).</summary>
    public static (double Seconds, double GflopsPerSecond) Measure(int n, int repeats, SessionConfig config)
    {
        using var session = ModelSession.Load(Model(n).ToByteArray(), $"matmul-{n}", config with { WarmUp = false });
        var random = new Random(1);
        var a = new float[n * n];
        var b = new float[n * n];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)random.NextDouble() - 0.5f;
            b[i] = (float)random.NextDouble() - 0.5f;
        }
        var y = new float[n * n];
        using var aIn = SessionInput.Create("A", a, [n, n]);
        using var bIn = SessionInput.Create("B", b, [n, n]);
        using var yOut = SessionInput.Create("Y", y, [n, n]);
        var times = new double[repeats];
        for (int r = -1; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            session.RunInto([aIn, bIn], [yOut]);
            if (r >= 0) times[r] = clock.Elapsed.TotalSeconds;
        }
        double seconds = BenchStatistics.Percentile(times, 0.5);
        return (seconds, 2.0 * n * n * n / seconds / 1e9);
    }

    private static ModelProto Model(int n)
    {
        ValueInfoProto Matrix(string name)
        {
            var shape = new TensorShapeProto();
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = n });
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = n });
            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
            };
        }

        var graph = new GraphProto { Name = "matmul_peak" };
        graph.Input.Add(Matrix("A"));
        graph.Input.Add(Matrix("B"));
        graph.Output.Add(Matrix("Y"));
        var node = new NodeProto { Name = "product", OpType = "MatMul" };
        node.Input.Add("A");
        node.Input.Add("B");
        node.Output.Add("Y");
        graph.Node.Add(node);
        var model = new ModelProto { IrVersion = (long)Onnx.Version.IrVersion2021730, ProducerName = "wsss bench", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }
}
