using Google.Protobuf;
using WsssOnnx.Graph.Climbing;
using WsssOnnx.Graph.Import;
using WsssOnnx.Graph.Tests.Networks;
using WsssOnnx.Onnx;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using Xunit.Abstractions;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Import;

public sealed class OnnxClassifierTests(ITestOutputHelper output)
{
    private const int Classes = 3;
    private const int Features = 6;

    /// <summary>
    /// A small classifier with what torchvision exports contain: Conv + BatchNormalization (to fold), MaxPool, a depthwise Conv
    /// with bias and Clip (ReLU6), a residual Add, a dilated branch with Sigmoid, Concat, a BatchNormalization after the Concat
    /// (not foldable), AveragePool, Sub and Div by constants; then GlobalAveragePool, Flatten and Gemm with bias. Stride 8.
    /// Our autodiff has no AveragePool rule: <paramref name="averageAsConv"/> writes that pool as the depthwise convolution
    /// with taps 1/4 (the same function, checked on ORT by the forward test) for the reference climber.
    /// </summary>
    private static (Value Features, Value Logits, HostTensor<float> Head) Source(GraphBuilder g, Value x, int seed, bool averageAsConv = false)
    {
        var rng = new Random(seed);
        HostTensor<float> R(params long[] shape) => GradientCheck.Random(rng, shape);
        HostTensor<float> Positive(long n) => new([.. Enumerable.Range(0, (int)n).Select(_ => 0.5f + (float)rng.NextDouble())], n);
        Value Norm(Value h, string name, long c) => g.BatchNormalization(h, g.Parameter(name + ".weight", Positive(c)), g.Parameter(name + ".bias", R(c)),
            g.Parameter(name + ".running_mean", R(c)), g.Parameter(name + ".running_var", Positive(c)), 1e-5f);

        var h = g.Relu(Norm(g.Conv(x, g.Parameter("conv1.weight", R(8, 3, 3, 3)), null, [2, 2], [1, 1, 1, 1]), "bn1", 8));
        var pooled = g.MaxPool(h, [3, 3], [2, 2], [1, 1, 1, 1]).Y;
        var dw = g.Clip(g.Conv(pooled, g.Parameter("dw.weight", R(8, 1, 3, 3)), g.Parameter("dw.bias", R(8)), pads: [1, 1, 1, 1], group: 8), 0f, 6f);
        var main = g.Relu(g.Add(Norm(g.Conv(dw, g.Parameter("pw.weight", R(8, 8, 1, 1))), "bn2", 8), pooled));
        var branch = g.Sigmoid(g.Conv(main, g.Parameter("branch.weight", R(4, 8, 3, 3)), null, pads: [2, 2, 2, 2], dilations: [2, 2]));
        var joined = Norm(g.Concat([main, branch], 1), "bn3", 12);
        var avg = averageAsConv
            ? g.Conv(joined, g.Constant(new HostTensor<float>([.. Enumerable.Repeat(0.25f, 12 * 4)], 12, 1, 2, 2)), null, [2, 2], group: 12)
            : g.AveragePool(joined, [2, 2], [2, 2], [0, 0, 0, 0]);
        var last = g.Conv(avg, g.Parameter("conv2.weight", R(Features, 12, 3, 3)), g.Parameter("conv2.bias", R(Features)), pads: [1, 1, 1, 1]);
        var features = g.Relu(g.Div(g.Sub(last, g.Constant(R(1, Features, 1, 1))), g.Constant(new HostTensor<float>(Positive(Features).Data, 1, Features, 1, 1))));
        var head = R(Classes, Features);
        var logits = g.Gemm(g.Flatten(g.GlobalAveragePool(features), 1), g.Parameter("fc.weight", head), g.Parameter("fc.bias", R(Classes)), transB: true);
        return (features, logits, new HostTensor<float>(head.Data, Classes, Features, 1, 1));
    }

    /// <summary>The source network as a model file: image -> logits, with f as a second output for the tests.</summary>
    private static ModelProto SourceModel(int seed, string? unsupported = null)
    {
        var g = new GraphBuilder("source");
        var x = g.Input("input", DataType.Float, [-1, 3, -1, -1]);
        var (f, logits, _) = Source(g, unsupported is null ? x : g.Softplus(x), seed);
        g.Output(logits, "output");
        g.Output(f, "features_out");
        return g.ToModel();
    }

    private static OnnxClassifier Import(ModelProto model, OnnxImportOptions? options = null) =>
        OnnxClassifier.Read(ModelProto.Parser.ParseFrom(model.ToByteArray()), options);

    [Fact]
    public void Imported_logits_and_class_maps_equal_the_source_network_on_onnx_runtime()
    {
        const int seed = 7;
        output.WriteLine($"seed {seed}");
        var source = SourceModel(seed);
        var imported = Import(source);
        Assert.Equal((Classes, Features, 2), (imported.Classes, imported.FeatureChannels, imported.FoldedNorms));
        Assert.Equal(8, imported.MeasureStride());

        var g = new GraphBuilder("imported");
        var image = g.Input("image", DataType.Float, [-1, 3, -1, -1]);
        var (logits, maps, _) = imported.BuildClassifier(g, image);
        g.Output(logits, "logits");
        g.Output(maps, "class_maps");

        var x = GradientCheck.Random(new Random(seed + 1), 2, 3, 40, 48);
        var ours = NetworkSession.Run(g, ("image", x.Data, x.Shape));
        Dictionary<string, (Array Data, long[] Shape)> theirs;
        using (var session = ModelSession.Load(source.ToByteArray(), "source", NetworkSession.Config))
            theirs = NetworkSession.Run(session, null, ("input", x.Data, x.Shape));

        // Float32 sums of a few hundred terms of size ~1: 1e-5 relative to the largest value, plus 1e-6.
        AssertClose(theirs.Float("output"), ours.Float("logits"), 1e-5);
        // S_c = sum_k W_ck f_k at every pixel, from the source's own f.
        var f = theirs.Float("features_out");
        var expected = ClassMaps(f, imported.HeadWeight);
        Assert.Equal(expected.Shape, ours.Float("class_maps").Shape);
        AssertClose(expected, ours.Float("class_maps"), 1e-5);
    }

    [Fact]
    public void Imported_climber_gradient_equals_the_source_networks_climber_gradient()
    {
        const int seed = 11;
        output.WriteLine($"seed {seed}");
        var imported = Import(SourceModel(seed));
        var native = new GraphBuilder("native_climber");
        AdvCamGraph.Build(native, (b, x) =>
        {
            var (f, _, head) = Source(b, x, seed, averageAsConv: true);
            return (f, b.Parameter("classifier.weight", head));
        }, Classes);
        var climber = new GraphBuilder("imported_climber");
        AdvCamGraph.Build(climber, imported.Backbone, Classes);
        OnnxChecker.AssertValid(climber);

        var rng = new Random(seed + 1);
        var image = GradientCheck.Random(rng, 1, 3, 32, 40);
        var x0 = new HostTensor<float>([.. image.Data, .. Flipped(image).Data], 2, 3, 32, 40);
        using var ours = ModelSession.Load(climber.ToBytes(), climber.Name, NetworkSession.Config);
        using var reference = ModelSession.Load(native.ToBytes(), native.Name, NetworkSession.Config);
        var first = Step(reference, x0, HostTensor<float>.Zeros(1, 4, 5), 0f);
        // From the climbed image with A_0 and lambda = 7, so the mask term's gradient is part of the comparison.
        var x1 = first.Float(ClimberContract.NextImage);
        var a0 = first.Float(ClimberContract.MergedMap);
        var expected = Step(reference, x1, a0, 7f).Float(ClimberContract.ImageGradient);
        var actual = Step(ours, x1, a0, 7f).Float(ClimberContract.ImageGradient);
        Assert.Contains(expected.Data, v => v != 0f);
        // Folding BN into the convolutions reorders float32 sums: 1e-4 of the largest component.
        AssertClose(expected, actual, 1e-4);
    }

    [Fact]
    public void Dilating_the_last_stage_halves_the_stride_and_equals_the_dilated_network()
    {
        const int seed = 5;
        var rng = new Random(seed);
        HostTensor<float> R(params long[] shape) => GradientCheck.Random(rng, shape);
        var w1 = R(4, 3, 3, 3);
        var w2 = R(5, 4, 3, 3);
        var w3 = R(Features, 5, 3, 3);
        var head = R(Classes, Features);
        // conv s2, conv s2 (the last stage's downsampling), conv 3x3; dilated: the second at stride 1, the third at dilation 2.
        Value Ladder(GraphBuilder g, Value x, bool dilated)
        {
            var h = g.Relu(g.Conv(x, g.Parameter("w1", w1), null, [2, 2], [1, 1, 1, 1]));
            h = g.Relu(g.Conv(h, g.Parameter("w2", w2), null, dilated ? [1, 1] : [2, 2], [1, 1, 1, 1]));
            return g.Relu(g.Conv(h, g.Parameter("w3", w3), null, [1, 1], dilated ? [2, 2, 2, 2] : [1, 1, 1, 1], dilated ? [2, 2] : [1, 1]));
        }
        var source = new GraphBuilder("ladder");
        var input = source.Input("input", DataType.Float, [1, 3, 32, 32]);
        source.Output(source.Gemm(source.Flatten(source.GlobalAveragePool(Ladder(source, input, false)), 1), source.Parameter("fc", head), transB: true), "output");
        var model = source.ToModel();
        Assert.Equal(4, Import(model).MeasureStride());
        var imported = Import(model, new OnnxImportOptions { DilateLastStage = true });
        Assert.Equal(2, imported.MeasureStride());

        var ours = new GraphBuilder("ours");
        var (_, maps, _) = imported.BuildClassifier(ours, ours.Input("image", DataType.Float, [1, 3, -1, -1]));
        ours.Output(maps, "maps");
        var dilated = new GraphBuilder("dilated");
        var f = Ladder(dilated, dilated.Input("image", DataType.Float, [1, 3, -1, -1]), true);
        dilated.Output(f, "f");
        var x = GradientCheck.Random(new Random(seed + 1), 1, 3, 32, 32);
        var expected = ClassMaps(NetworkSession.Run(dilated, ("image", x.Data, x.Shape)).Float("f"), new HostTensor<float>(head.Data, Classes, Features, 1, 1));
        var actual = NetworkSession.Run(ours, ("image", x.Data, x.Shape)).Float("maps");
        Assert.Equal([1, Classes, 16, 16], actual.Shape);
        AssertClose(expected, actual, 1e-5);
    }

    [Fact]
    public void Imported_classifier_and_climber_pass_the_onnx_checker()
    {
        var imported = Import(SourceModel(3));
        var cls = new GraphBuilder("classifier");
        var (logits, maps, _) = imported.BuildClassifier(cls, cls.Input("image", DataType.Float, [-1, 3, -1, -1], ["batch", null, "height", "width"]));
        cls.Output(logits, "logits");
        cls.Output(maps, "class_maps");
        var climber = new GraphBuilder("climber");
        AdvCamGraph.Build(climber, imported.Backbone, imported.Classes);
        OnnxChecker.AssertValid(cls, climber);
    }

    [Fact]
    public void An_unsupported_op_is_refused_with_one_sentence_naming_the_op_and_node()
    {
        var e = Assert.Throws<OnnxImportException>(() => Import(SourceModel(3, unsupported: "Softplus")));
        output.WriteLine(e.Message);
        Assert.Matches(@"^The ONNX model's node 'Softplus_\d+' \(Softplus\) uses op Softplus, which package-classifier does not support \(it reads Conv, .*\)\.$", e.Message);
    }

    [Fact]
    public void The_head_can_be_named_and_a_wrong_feature_name_is_refused()
    {
        var model = SourceModel(3);
        string gemm = model.Graph.Node.Single(n => n.OpType == "Gemm").Name;
        Assert.Equal(gemm, Import(model, new OnnxImportOptions { Head = "fc.weight" }).HeadName);
        var e = Assert.Throws<OnnxImportException>(() => Import(model, new OnnxImportOptions { Features = "nothing" }));
        Assert.Contains("not 'nothing'", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<OnnxImportException>(() => Import(model, new OnnxImportOptions { Head = "nothing" }));
        Assert.Contains("no Gemm or MatMul node named 'nothing'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_without_a_pooled_linear_head_is_refused()
    {
        var g = new GraphBuilder("no_head");
        var x = g.Input("input", DataType.Float, [1, 3, 8, 8]);
        g.Output(g.Relu(g.Conv(x, g.Parameter("w", GradientCheck.Random(new Random(1), 2, 3, 1, 1)))), "output");
        var e = Assert.Throws<OnnxImportException>(() => Import(g.ToModel()));
        Assert.Contains("no linear layer", e.Message, StringComparison.Ordinal);
        Assert.Contains("--features and --head", e.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, (Array Data, long[] Shape)> Step(ModelSession session, HostTensor<float> x, HostTensor<float> a0, float lambda) =>
        NetworkSession.Run(session, null,
            (ClimberContract.Image, x.Data, x.Shape),
            (ClimberContract.TargetClass, new long[] { 1 }, [1]),
            (ClimberContract.InitialMap, a0.Data, a0.Shape),
            (ClimberContract.MaskWeight, new[] { lambda }, []),
            (ClimberContract.MaskThreshold, new[] { 0.5f }, []),
            (ClimberContract.StepSize, new[] { 0.08f }, []));

    private static HostTensor<float> Flipped(HostTensor<float> image)
    {
        long rows = image.Length / image.Shape[^1], w = image.Shape[^1];
        var data = new float[image.Length];
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < w; c++) data[r * w + c] = image.Data[r * w + (w - 1 - c)];
        return new HostTensor<float>(data, image.Shape);
    }

    /// <summary>S[n, c, y, x] = sum_k W[c, k] f[n, k, y, x].</summary>
    internal static HostTensor<float> ClassMaps(HostTensor<float> f, HostTensor<float> w)
    {
        long n = f.Shape[0], k = f.Shape[1], plane = f.Shape[2] * f.Shape[3], classes = w.Shape[0];
        var s = new float[n * classes * plane];
        for (long i = 0; i < n; i++)
            for (long c = 0; c < classes; c++)
                for (long p = 0; p < plane; p++)
                {
                    double sum = 0;
                    for (long j = 0; j < k; j++) sum += w.Data[c * k + j] * (double)f.Data[(i * k + j) * plane + p];
                    s[(i * classes + c) * plane + p] = (float)sum;
                }
        return new HostTensor<float>(s, n, classes, f.Shape[2], f.Shape[3]);
    }

    private void AssertClose(HostTensor<float> expected, HostTensor<float> actual, double relative)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        double scale = expected.Data.Max(v => Math.Abs((double)v));
        double worst = expected.Data.Zip(actual.Data, (e, a) => Math.Abs((double)e - a)).Max();
        output.WriteLine($"largest |expected| {scale:G4}, largest difference {worst:G4}");
        Assert.True(worst <= relative * scale + 1e-6, $"largest difference {worst:G4} exceeds {relative:G2} x {scale:G4}");
    }
}
