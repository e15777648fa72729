using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Graph.Tests.Networks;

/// <summary>Runs a built graph once in ONNX Runtime (CPU, one thread, no warm-up) and copies every output out.</summary>
internal static class NetworkSession
{
    public static SessionConfig Config { get; } = new() { WarmUp = false, IntraOpThreads = 1 };

    public static Dictionary<string, (Array Data, long[] Shape)> Run(GraphBuilder g, params (string Name, Array Data, long[] Shape)[] inputs)
    {
        using var session = ModelSession.Load(g.ToBytes(), g.Name, Config);
        return Run(session, null, inputs);
    }

    /// <summary>Runs an open session, computing only <paramref name="outputNames"/> (all outputs if null).</summary>
    public static Dictionary<string, (Array Data, long[] Shape)> Run(ModelSession session, IReadOnlyList<string>? outputNames, params (string Name, Array Data, long[] Shape)[] inputs)
    {
        var feeds = inputs.Select(i => SessionInput.CreateUntyped(i.Name, i.Data, i.Shape)).ToList();
        try
        {
            using var outputs = session.Run(feeds, outputNames);
            return outputs.Names.ToDictionary(n => n, n =>
            {
                var (data, shape, _) = outputs.ToHostUntyped(n);
                return (data, shape);
            });
        }
        finally
        {
            foreach (var f in feeds) f.Dispose();
        }
    }

    public static HostTensor<float> Float(this Dictionary<string, (Array Data, long[] Shape)> outputs, string name) =>
        new((float[])outputs[name].Data, outputs[name].Shape);
}
