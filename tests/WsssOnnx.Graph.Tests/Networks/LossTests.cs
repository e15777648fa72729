using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Networks;

public sealed class LossTests(ITestOutputHelper output)
{
    private readonly GradientCheck _check = new(output);

    private static GraphBuilder MultiLabelGraph(long[] shape)
    {
        var g = new GraphBuilder("multilabel_soft_margin");
        var z = g.Input("z", DataType.Float, shape, ["batch"]);
        var y = g.Input("y", DataType.Float, shape, ["batch"]);
        g.Output(Losses.MultiLabelSoftMargin(g, z, y), "loss");
        return g;
    }

    private static GraphBuilder CrossEntropyGraph(long classes)
    {
        var g = new GraphBuilder("cross_entropy_ignore");
        var scores = g.Input("scores", DataType.Float, [-1, classes, -1, -1], ["batch", null, "height", "width"]);
        var labels = g.Input("labels", DataType.Int64, [-1, -1, -1], ["batch", "height", "width"]);
        g.Output(Losses.CrossEntropy(g, scores, labels), "loss");
        return g;
    }

    /// <summary>Labels in [0, K) with every third pixel (or all, if <paramref name="allIgnored"/>) set to 255.</summary>
    private static HostTensor<long> Labels(Random rng, long classes, bool allIgnored, params long[] shape)
    {
        var data = new long[HostTensor<long>.ElementCount(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = allIgnored || i % 3 == 1 ? 255 : rng.Next((int)classes);
        return new HostTensor<long>(data, shape);
    }

    [Fact]
    public void Loss_graphs_pass_the_onnx_checker() =>
        OnnxChecker.AssertValid(MultiLabelGraph([-1, 20]), CrossEntropyGraph(21));

    [Fact]
    public void Multi_label_soft_margin_matches_pytorch_formula_and_is_stable_for_large_logits()
    {
        const int seed = 31;
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        var z = Random(rng, 3, 5);
        z.Data[0] = 100f;   // log(1 - sigmoid(100)) underflows if computed naively
        z.Data[1] = -100f;
        var y = new HostTensor<float>([.. Enumerable.Range(0, 15).Select(i => (float)(rng.Next(2)))], 3, 5);
        y.Data[0] = 0f;
        y.Data[1] = 1f;
        var outputs = NetworkSession.Run(MultiLabelGraph([-1, 5]), ("z", z.Data, z.Shape), ("y", y.Data, y.Shape));
        // PyTorch: -mean(y log sigma(z) + (1 - y) log sigma(-z)), log sigma(t) = -log(1 + e^-t) computed stably.
        static double LogSigmoid(double t) => t >= 0 ? -Math.Log(1 + Math.Exp(-t)) : t - Math.Log(1 + Math.Exp(t));
        double expected = -Enumerable.Range(0, 15).Average(i => y.Data[i] * LogSigmoid(z.Data[i]) + (1 - y.Data[i]) * LogSigmoid(-z.Data[i]));
        var loss = outputs.Float("loss");
        Assert.Empty(loss.Shape);
        Assert.Equal(expected, loss.Data[0], 1e-5 * Math.Max(1, expected));
    }

    [Fact]
    public void Cross_entropy_averages_over_non_ignored_pixels_and_is_zero_when_all_are_ignored()
    {
        const int seed = 32;
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        const long k = 4;
        var scores = Random(rng, 2, k, 3, 5);
        var labels = Labels(rng, k, allIgnored: false, 2, 3, 5);
        var g = CrossEntropyGraph(k);
        double sum = 0;
        int valid = 0;
        for (int b = 0; b < 2; b++)
        {
            for (int p = 0; p < 15; p++)
            {
                long label = labels.Data[b * 15 + p];
                if (label == 255) continue;
                var s = Enumerable.Range(0, (int)k).Select(c => (double)scores.Data[(b * k + c) * 15 + p]).ToArray();
                double max = s.Max();
                double logSumExp = max + Math.Log(s.Sum(v => Math.Exp(v - max)));
                sum += logSumExp - s[label];
                valid++;
            }
        }
        Assert.Equal(20, valid);
        var outputs = NetworkSession.Run(g, ("scores", scores.Data, scores.Shape), ("labels", labels.Data, labels.Shape));
        Assert.Equal(sum / valid, outputs.Float("loss").Data[0], 1e-5);

        var ignored = Labels(rng, k, allIgnored: true, 2, 3, 5);
        var none = NetworkSession.Run(g, ("scores", scores.Data, scores.Shape), ("labels", ignored.Data, ignored.Shape));
        Assert.Equal(0f, none.Float("loss").Data[0]);
    }

    [Fact]
    public void Multi_label_soft_margin_gradient_matches_finite_differences()
    {
        var rng = new Random(33);
        var z = Random(rng, 2, 6);
        z.Data[3] = 4f;
        z.Data[7] = -5f;
        var y = new HostTensor<float>([.. Enumerable.Range(0, 12).Select(i => (float)(i % 3 == 0 ? 1 : 0))], 2, 6);
        // d/dz = (sigmoid(z) - y) / (N C): smooth everywhere.
        _check.Check("multilabel_grad", 33, (g, v) => Losses.MultiLabelSoftMargin(g, v[0], g.Constant(y)), z);
    }

    [Fact]
    public void Cross_entropy_gradient_matches_finite_differences_with_ignored_pixels()
    {
        var rng = new Random(34);
        const long k = 5;
        var labels = Labels(rng, k, allIgnored: false, 2, 3, 4);
        // d/dscores = (softmax - onehot) / |valid| at valid pixels, 0 at ignored ones; every coordinate is checked.
        var check = new GradientCheck(output) { CoordinatesPerInput = 2 * 5 * 3 * 4 };
        check.Check("cross_entropy_grad", 34, (g, v) => Losses.CrossEntropy(g, v[0], g.Constant(labels)), Random(rng, 2, k, 3, 4));
    }

    [Fact]
    public void Bad_loss_inputs_are_rejected_with_their_shapes()
    {
        var g = new GraphBuilder("bad");
        var scores = g.Input("scores", DataType.Float, [1, 3, 4, 4]);
        var labels = g.Input("labels", DataType.Int64, [1, 4, 5]);
        Assert.Contains("axis 3", Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(g, scores, labels)).Message);
        var good = g.Input("good", DataType.Int64, [1, 4, 4]);
        Assert.Equal("ignoreIndex", Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(g, scores, good, ignoreIndex: 2)).ParamName);
        Assert.Throws<ArgumentException>(() => Losses.MultiLabelSoftMargin(g, scores, scores));
    }
}
