using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Networks;

public sealed class BatchNormTests(ITestOutputHelper output)
{
    private readonly GradientCheck _check = new(output);

    /// <summary>A training-mode layer with random affine and running statistics, on an input whose N may be dynamic.</summary>
    private static (GraphBuilder G, List<RunningStatUpdate> Updates) Layer(long[] declared, HostTensor<float> scale, HostTensor<float> bias, HostTensor<float> mean, HostTensor<float> variance)
    {
        var g = new GraphBuilder(declared[0] < 0 ? "bn_train_dynamic" : "bn_train");
        var x = g.Input("x", DataType.Float, declared, ["batch"]);
        var updates = new List<RunningStatUpdate>();
        Value y;
        using (g.Scope("bn")) y = BatchNorm.Layer(g, x, new BatchNormOptions { Mode = BatchNormMode.Training }, trainable: true, updates);
        g.SetParameter("bn.weight", scale);
        g.SetParameter("bn.bias", bias);
        g.SetParameter("bn.running_mean", mean);
        g.SetParameter("bn.running_var", variance);
        g.Output(y, "y");
        return (g, updates);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Training_mode_matches_direct_computation_and_pytorch_running_update(bool dynamicBatch)
    {
        const int seed = 5;
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        const int n = 3, c = 4, h = 5, w = 6;
        var x = Random(rng, n, c, h, w);
        for (int i = 0; i < x.Data.Length; i++) x.Data[i] = 2f * x.Data[i] + 0.5f; // non-zero mean, non-unit variance
        var scale = Random(rng, c);
        var bias = Random(rng, c);
        var mean = Random(rng, c);
        var variance = new HostTensor<float>([.. RandomData(rng, c).Select(v => 1.5f + v)], c);
        var (g, updates) = Layer(dynamicBatch ? [-1, c, h, w] : [n, c, h, w], scale, bias, mean, variance);
        Assert.Equal([new RunningStatUpdate("bn.running_mean", "bn.running_mean.next"), new RunningStatUpdate("bn.running_var", "bn.running_var.next")], updates);
        Assert.False(g.Parameters.Single(p => p.Name == "bn.running_var").Trainable);
        Assert.True(g.Parameters.Single(p => p.Name == "bn.weight").Trainable);

        var outputs = NetworkSession.Run(g, ("x", x.Data, x.Shape));
        var y = outputs.Float("y");
        var nextMean = outputs.Float("bn.running_mean.next");
        var nextVariance = outputs.Float("bn.running_var.next");
        int count = n * h * w;
        for (int ch = 0; ch < c; ch++)
        {
            var values = Enumerable.Range(0, n).SelectMany(b => Enumerable.Range(0, h * w).Select(p => (double)x.Data[(b * c + ch) * h * w + p])).ToArray();
            double mu = values.Average();
            double biased = values.Average(v => (v - mu) * (v - mu));
            double unbiased = biased * count / (count - 1);
            // float32 sums of 90 values of size ~2: errors ~1e-6; 1e-4 leaves room for ORT's reduction order.
            Assert.Equal(0.9 * mean.Data[ch] + 0.1 * mu, nextMean.Data[ch], 1e-4);
            Assert.Equal(0.9 * variance.Data[ch] + 0.1 * unbiased, nextVariance.Data[ch], 1e-4);
            for (int b = 0; b < n; b++)
            {
                for (int p = 0; p < h * w; p++)
                {
                    int k = (b * c + ch) * h * w + p;
                    double expected = (x.Data[k] - mu) / Math.Sqrt(biased + 1e-5) * scale.Data[ch] + bias.Data[ch];
                    Assert.Equal(expected, y.Data[k], 1e-4);
                }
            }
        }
    }

    [Fact]
    public void Training_mode_layer_passes_the_onnx_checker()
    {
        var rng = new Random(6);
        OnnxChecker.AssertValid(
            Layer([2, 3, 4, 4], Random(rng, 3), Random(rng, 3), Random(rng, 3), Random(rng, 3)).G,
            Layer([-1, 3, 4, 4], Random(rng, 3), Random(rng, 3), Random(rng, 3), Random(rng, 3)).G);
    }

    [Fact]
    public void Training_mode_gradients_match_finite_differences()
    {
        var rng = new Random(7);
        var x = Random(rng, 2, 3, 4, 4);
        var scale = new HostTensor<float>([.. RandomData(rng, 3).Select(v => 1f + 0.5f * v)], 3);
        var bias = Random(rng, 3);
        var mean = Random(rng, 3);
        var variance = new HostTensor<float>([1f, 2f, 0.5f], 3);
        // The batch statistics depend on x: a rule that treated them as constants would be off by O(1) here.
        _check.Check("bn_training", 7,
            (g, v) => BatchNorm.Training(g, v[0], v[1], v[2], g.Constant(mean), g.Constant(variance)).Y,
            x, scale, bias);
    }

    [Fact]
    public void Frozen_mode_gradients_match_finite_differences()
    {
        var rng = new Random(8);
        var mean = Random(rng, 3);
        var variance = new HostTensor<float>([1f, 2f, 0.5f], 3);
        _check.Check("bn_frozen", 8,
            (g, v) => BatchNorm.Frozen(g, v[0], v[1], v[2], g.Constant(mean), g.Constant(variance)),
            Random(rng, 2, 3, 4, 4), Random(rng, 3), Random(rng, 3));
    }

    [Fact]
    public void Training_mode_network_updates_the_running_statistics_of_trainable_stages_only()
    {
        var g = new GraphBuilder("resnet18_train");
        var image = g.Input("image", DataType.Float, [2, 3, 32, 32]);
        var net = ResNet.Build(g, image, new ResNetOptions { Depth = 18, Width = 4, BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Training } });
        g.Output(net.Features, "features");

        // layer3 and layer4 (the default trainable stages) of ResNet-18: 2 blocks x 2 BN + 1 shortcut BN each.
        Assert.Equal(2 * 2 * 5, net.RunningStatUpdates.Count);
        Assert.All(net.RunningStatUpdates, u =>
        {
            Assert.Matches(@"^layer[34]\.", u.Parameter);
            Assert.Equal(u.Parameter + ".next", u.Output);
            Assert.False(g.Parameters.Single(p => p.Name == u.Parameter).Trainable);
        });
        Assert.Contains(new RunningStatUpdate("layer3.0.downsample.1.running_var", "layer3.0.downsample.1.running_var.next"), net.RunningStatUpdates);

        OnnxChecker.AssertValid(g);
        var x = Random(new Random(9), 2, 3, 32, 32);
        var outputs = NetworkSession.Run(g, ("image", x.Data, x.Shape));
        foreach (var u in net.RunningStatUpdates)
        {
            var next = outputs.Float(u.Output);
            Assert.Equal(g.Get(u.Parameter).Shape, next.Shape);
            Assert.All(next.Data, v => Assert.True(float.IsFinite(v)));
        }
        // Running variance moves from its initial 1 towards the batch variance, so it changes.
        Assert.NotEqual(1f, outputs.Float("layer4.1.bn2.running_var.next").Data[0]);
    }
}
