using WsssOnnx.Graph.Autodiff;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using static WsssOnnx.Graph.Tests.GradientCheck;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Networks;

public sealed class DeepLabSegmenterTests
{
    private static DeepLabOptions Small(int depth, BatchNormMode mode) => new()
    {
        Backbone = new DeepLabOptions().Backbone with { Depth = depth, Width = 8, BatchNorm = new BatchNormOptions { Mode = mode, TrainAffine = false } },
    };

    [Fact]
    public void Segmenter_passes_the_onnx_checker_and_runs_at_stride_8()
    {
        var g = new GraphBuilder("deeplab_resnet101");
        var image = g.Input("image", DataType.Float, [1, 3, 64, 64]);
        var net = DeepLabSegmenter.Build(g, image, Small(101, BatchNormMode.Frozen));
        g.Output(net.Scores, "scores");
        Assert.Equal([1L, 21, 8, 8], net.Scores.Shape);
        Assert.Equal(8, net.Backbone.OutputStride);
        var aspp = g.Nodes.Where(n => n.OpType == "Conv" && n.Inputs[1]!.Name.StartsWith("aspp.", StringComparison.Ordinal)).ToList();
        Assert.Equal([6L, 12, 18, 24], aspp.Select(n => n.Ints("dilations")![0]));
        Assert.All(aspp, n => Assert.NotNull(n.Inputs[2]));
        Assert.False(g.Parameters.Single(p => p.Name == "layer1.0.bn1.weight").Trainable);
        Assert.True(g.Parameters.Single(p => p.Name == "conv1.weight").Trainable);
        OnnxChecker.AssertValid(g);

        var x = Random(new Random(51), 1, 3, 64, 64);
        Assert.Equal(net.Scores.Shape, NetworkSession.Run(g, ("image", x.Data, x.Shape))["scores"].Shape);
    }

    [Fact]
    public void Training_graph_with_batch_statistics_loss_and_gradients_passes_the_onnx_checker_and_runs()
    {
        var g = new GraphBuilder("deeplab_train");
        var image = g.Input("image", DataType.Float, [2, 3, 64, 64]);
        var labels = g.Input("labels", DataType.Int64, [2, 8, 8]);
        var net = DeepLabSegmenter.Build(g, image, Small(50, BatchNormMode.Training));
        var loss = g.Output(Losses.CrossEntropy(g, net.Scores, labels), "loss");
        var trainable = g.TrainableParameters.ToList();
        Assert.DoesNotContain(trainable, p => p.Name.Contains("bn", StringComparison.Ordinal));
        var grads = GradientBuilder.Gradients(g, loss, [.. trainable.Select(p => p.Value)]);
        for (int i = 0; i < grads.Count; i++) g.Output(grads[i], "grad." + trainable[i].Name);
        // All stages train, so every BN layer (53 in ResNet-50) updates both statistics.
        Assert.Equal(2 * 53, net.RunningStatUpdates.Count);
        OnnxChecker.AssertValid(g);

        var rng = new Random(52);
        var x = Random(rng, 2, 3, 64, 64);
        var y = new HostTensor<long>([.. Enumerable.Range(0, 128).Select(i => i % 7 == 0 ? 255L : rng.Next(21))], 2, 8, 8);
        var outputs = NetworkSession.Run(g, ("image", x.Data, x.Shape), ("labels", y.Data, y.Shape));
        Assert.True(float.IsFinite(outputs.Float("loss").Data[0]));
        foreach (var p in trainable) Assert.Equal(p.Value.Shape, outputs["grad." + p.Name].Shape);
        foreach (var u in net.RunningStatUpdates) Assert.Equal(g.Get(u.Parameter).Shape, outputs[u.Output].Shape);
    }
}
