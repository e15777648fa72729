using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Runtime;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Training.Loop;

/// <summary>The classifier in inference form (frozen batch norm) reading the trainer's parameter buffers in place.</summary>
internal sealed class ClassifierEvaluator : IDisposable
{
    private readonly ModelSession _session;
    private readonly List<SessionInput> _parameters = [];

    public ClassifierEvaluator(CamClassifierOptions network, ParameterStore parameters, int threads)
    {
        var g = new GraphBuilder("classifier_eval");
        var image = g.Input("image", DataType.Float, [1, 3, -1, -1]);
        var frozen = network with { Backbone = network.Backbone with { BatchNorm = network.Backbone.BatchNorm with { Mode = BatchNormMode.Frozen } } };
        var net = CamClassifier.Build(g, image, frozen);
        g.Output(net.Logits, "logits");
        _session = ModelSession.Load(g.ToBytes(parametersAsInputs: true), g.Name, new SessionConfig { IntraOpThreads = threads, WarmUp = false });
        var declared = _session.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, tensor) in parameters.Tensors)
            if (declared.Contains(name)) _parameters.Add(SessionInput.Create(name, tensor));
    }

    public float[] Logits(RgbImage image, ImageNormalization normalization)
    {
        using var input = SessionInput.Create("image", ImageTensor.FromRgb(image, normalization));
        using var result = _session.Run([input, .. _parameters]);
        return result.Span<float>("logits").ToArray();
    }

    public void Dispose()
    {
        _session.Dispose();
        foreach (var p in _parameters) p.Dispose();
    }
}
