using WsssOnnx.Graph.Autodiff;
using WsssOnnx.Graph.Networks;
using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Networks;

public sealed class CamClassifierTests(ITestOutputHelper output)
{
    private static CamClassifierOptions Small(int depth, int width) => new()
    {
        Backbone = new ResNetOptions { Depth = depth, Width = width, TrainableStages = ResNetStages.All },
        Classes = 20,
        Seed = 1,
    };

    private static (GraphBuilder G, CamClassifier Net) Build(string name, int depth = 50, int width = 8, long size = 64)
    {
        var g = new GraphBuilder(name);
        var image = g.Input("image", DataType.Float, [1, 3, size, size]);
        var net = CamClassifier.Build(g, image, Small(depth, width));
        g.Output(net.Logits, "logits");
        g.Output(net.ClassMaps, "class_maps");
        return (g, net);
    }

    [Fact]
    public void Classifier_passes_the_onnx_checker_and_runs_at_stride_16()
    {
        var (g, net) = Build("cam_resnet50");
        OnnxChecker.AssertValid(g);
        Assert.Equal([1L, 20], net.Logits.Shape);
        Assert.Equal([1L, 20, 4, 4], net.ClassMaps.Shape);
        Assert.Equal([20L, 8 * 32, 1, 1], net.Classifier.Shape);
        Assert.Equal("classifier.weight", net.Classifier.Name);
        Assert.True(g.Parameters.Single(p => p.Name == "classifier.weight").Trainable);

        var x = Random(new Random(41), 1, 3, 64, 64);
        var outputs = NetworkSession.Run(g, ("image", x.Data, x.Shape));
        Assert.Equal(net.Logits.Shape, outputs["logits"].Shape);
        Assert.Equal(net.ClassMaps.Shape, outputs["class_maps"].Shape);
        // W is linear: z = W GAP(f) = mean over (h, w) of S = W f.
        var z = outputs.Float("logits");
        var s = outputs.Float("class_maps");
        for (int c = 0; c < 20; c++)
        {
            double mean = Enumerable.Range(0, 16).Average(p => (double)s.Data[c * 16 + p]);
            Assert.Equal(mean, z.Data[c], 1e-5 + 1e-4 * Math.Abs(mean));
        }
    }

    [Fact]
    public void Classifier_runs_on_run_time_image_sizes()
    {
        var g = new GraphBuilder("cam_dynamic");
        var image = g.Input("image", DataType.Float, [-1, 3, -1, -1], ["batch", null, "height", "width"]);
        var net = CamClassifier.Build(g, image, Small(18, 4));
        g.Output(net.Logits, "logits");
        g.Output(net.ClassMaps, "class_maps");
        Assert.Equal([-1L, 20, -1, -1], net.ClassMaps.Shape);
        OnnxChecker.AssertValid(g);
        var x = Random(new Random(42), 2, 3, 48, 80);
        var outputs = NetworkSession.Run(g, ("image", x.Data, x.Shape));
        Assert.Equal([2L, 20, 3, 5], outputs["class_maps"].Shape);
        Assert.Equal([2L, 20], outputs["logits"].Shape);
    }

    [Fact]
    public void Training_graph_with_gradients_passes_the_onnx_checker_and_runs()
    {
        var (g, net) = Build("cam_resnet50_gradients");
        var labels = g.Input("labels", DataType.Float, [1, 20]);
        var loss = g.Output(Losses.MultiLabelSoftMargin(g, net.Logits, labels), "loss");
        var trainable = g.TrainableParameters.ToList();
        var grads = GradientBuilder.Gradients(g, loss, [.. trainable.Select(p => p.Value)]);
        for (int i = 0; i < grads.Count; i++) g.Output(grads[i], "grad." + trainable[i].Name);
        // AdvCAM's climbing direction: d/dx of the mean of ReLU(S) for one class.
        var climb = g.SumAll(g.ReduceMean(g.Relu(g.Slice(net.ClassMaps, [3], [4], [1])), [2, 3], keepDims: false));
        g.Output(GradientBuilder.Gradients(g, climb, [net.Image])[0], "grad.image");
        OnnxChecker.AssertValid(g);

        var x = Random(new Random(43), 1, 3, 64, 64);
        var y = new float[20];
        y[3] = y[11] = 1;
        var outputs = NetworkSession.Run(g, ("image", x.Data, x.Shape), ("labels", y, [1L, 20]));
        Assert.Equal(x.Shape, outputs["grad.image"].Shape);
        foreach (var p in trainable)
        {
            Assert.Equal(p.Value.Shape, outputs["grad." + p.Name].Shape);
            Assert.All((float[])outputs["grad." + p.Name].Data, v => Assert.True(float.IsFinite(v)));
        }
    }

    // Tiny ResNet-18 CAM net (width 4, 1x3x32x32, frozen BN): features 2x2. Piecewise affine in the image and in
    // each parameter, so PiecewiseLinearGradientCheck applies (it explains why a plain check with a small epsilon
    // is not reliable here).
    private static Func<GraphBuilder, Value, Value> TinyLogits => (g, x) => CamClassifier.Build(g, x, Small(18, 4)).Logits;

    [Fact]
    public void Logit_gradient_with_respect_to_the_image_matches_finite_differences() =>
        new PiecewiseLinearGradientCheck(output).Check("cam_logits_image", 44, TinyLogits, Random(new Random(44), 1, 3, 32, 32), withInput: true);

    [Fact]
    public void Cam_gradient_with_respect_to_the_image_matches_finite_differences() =>
        new PiecewiseLinearGradientCheck(output).Check("cam_relu_maps_image", 45,
            (g, x) => g.Relu(CamClassifier.Build(g, x, Small(18, 4)).ClassMaps), Random(new Random(45), 1, 3, 32, 32), withInput: true);

    [Fact]
    public void Logit_gradients_with_respect_to_parameters_match_finite_differences() =>
        new PiecewiseLinearGradientCheck(output) { CoordinatesPerTensor = 8, MinimumChecked = 4 }.Check("cam_logits_parameters", 46, TinyLogits,
            Random(new Random(46), 1, 3, 32, 32), withInput: false, "conv1.weight", "layer2.1.conv2.weight", "layer4.1.bn2.weight", "classifier.weight");
}
