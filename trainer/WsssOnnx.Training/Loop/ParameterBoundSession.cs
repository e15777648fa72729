using WsssOnnx.Graph;
using WsssOnnx.Runtime;

namespace WsssOnnx.Training.Loop;

/// <summary>An inference graph whose parameters are inputs bound to a <see cref="ParameterStore"/>'s buffers (evaluation during training, no copies).</summary>
public sealed class ParameterBoundSession : IDisposable
{
    private readonly List<SessionInput> _parameters = [];

    public ParameterBoundSession(GraphBuilder graph, ParameterStore parameters, int threads)
    {
        Session = ModelSession.Load(graph.ToBytes(parametersAsInputs: true), graph.Name, new SessionConfig { IntraOpThreads = threads, WarmUp = false });
        var declared = Session.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, tensor) in parameters.Tensors)
            if (declared.Contains(name)) _parameters.Add(SessionInput.Create(name, tensor));
    }

    public ModelSession Session { get; }

    /// <summary>The bound parameter inputs, to pass along with the data inputs.</summary>
    public IReadOnlyList<SessionInput> ParameterInputs => _parameters;

    public void Dispose()
    {
        Session.Dispose();
        foreach (var p in _parameters) p.Dispose();
    }
}
