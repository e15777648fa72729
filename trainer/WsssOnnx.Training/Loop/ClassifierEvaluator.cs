using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Runtime;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Training.Loop;

/// <summary>The classifier in inference form (frozen batch norm) reading the trainer's parameter buffers in place.</summary>
internal sealed class ClassifierEvaluator : IDisposable
{
    private readonly ParameterBoundSession _bound;

    public ClassifierEvaluator(CamClassifierOptions network, ParameterStore parameters, int threads)
    {
        var g = new GraphBuilder("classifier_eval");
        var image = g.Input("image", DataType.Float, [1, 3, -1, -1]);
        var net = CamClassifier.Build(g, image, network with { Backbone = network.Backbone with { BatchNorm = network.Backbone.BatchNorm with { Mode = BatchNormMode.Frozen } } });
        g.Output(net.Logits, "logits");
        _bound = new ParameterBoundSession(g, parameters, threads);
    }

    public float[] Logits(RgbImage image, ImageNormalization normalization)
    {
        using var input = SessionInput.Create("image", ImageTensor.FromRgb(image, normalization));
        using var result = _bound.Session.Run([input, .. _bound.ParameterInputs]);
        return result.Span<float>("logits").ToArray();
    }

    public void Dispose() => _bound.Dispose();
}
