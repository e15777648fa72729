using WsssOnnx.Graph;
using WsssOnnx.Graph.Training;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using WsssOnnx.Training.Optim;

namespace WsssOnnx.Training.Loop;

/// <summary>
/// Runs a training graph step by step on ONNX Runtime: the batch and the parameters are fed as pinned buffers (no
/// copies), gradients are read in place and applied by the optimiser, running statistics are copied back.
/// </summary>
internal sealed class GraphStepper : IDisposable
{
    private readonly ModelSession _session;
    private readonly TrainingGraphSpec _spec;
    private readonly ParameterStore _parameters;
    private readonly List<SessionInput> _inputs = [];
    private readonly string[] _outputs;
    private readonly IReadOnlyList<(string Name, HostTensor<float> Target)> _copied;

    /// <param name="copiedOutputs">Further float outputs copied after every step into these tensors (e.g. the predictions a second network trains on).</param>
    public GraphStepper(GraphBuilder graph, TrainingGraphSpec spec, ParameterStore parameters, IReadOnlyList<(string Name, HostTensor<float>? Float, HostTensor<long>? Int)> batchInputs,
        int threads, IReadOnlyList<(string Name, HostTensor<float> Target)>? copiedOutputs = null)
    {
        _copied = copiedOutputs ?? [];
        _spec = spec;
        _parameters = parameters;
        _session = ModelSession.Load(graph.ToBytes(parametersAsInputs: true), graph.Name, new SessionConfig { IntraOpThreads = threads, WarmUp = false });
        var declared = _session.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, f, i) in batchInputs.Where(b => declared.Contains(b.Name)))
            _inputs.Add(f is not null ? SessionInput.Create(name, f) : SessionInput.Create(name, i!));
        foreach (var (name, tensor) in parameters.Tensors)
            if (declared.Contains(name)) _inputs.Add(SessionInput.Create(name, tensor));
        _outputs = [spec.LossOutput, .. spec.GradientOutputs, .. spec.RunningStats.Select(r => r.Output), .. spec.Terms, .. _copied.Select(c => c.Name)];
        Terms = new float[spec.Terms.Count];
    }

    /// <summary>The loss terms of the last step, in the order of <see cref="TrainingGraphSpec.Terms"/>.</summary>
    public float[] Terms { get; }

    /// <summary>One optimisation step on the batch currently in the bound buffers; returns the loss (its terms are in <see cref="Terms"/>).</summary>
    public float Step(IParameterOptimizer optimizer, Func<string, float> learningRate)
    {
        using var result = _session.Run(_inputs, _outputs);
        float loss = result.Span<float>(_spec.LossOutput)[0];
        if (!float.IsFinite(loss)) throw new TrainingDivergedException(loss);
        for (int i = 0; i < Terms.Length; i++) Terms[i] = result.Span<float>(_spec.Terms[i])[0];
        for (int i = 0; i < _spec.Parameters.Count; i++)
        {
            string name = _spec.Parameters[i];
            optimizer.Step(name, _parameters.Tensors[name], result.Span<float>(_spec.GradientOutputs[i]), learningRate(name));
        }
        foreach (var update in _spec.RunningStats)
            result.Span<float>(update.Output).CopyTo(_parameters.Tensors[update.Parameter].Span);
        foreach (var (name, target) in _copied)
            result.Span<float>(name).CopyTo(target.Span);
        return loss;
    }

    public void Dispose()
    {
        _session.Dispose();
        foreach (var i in _inputs) i.Dispose();
    }
}
