using WsssOnnx.Graph.Climbing;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using Xunit.Abstractions;

namespace WsssOnnx.Graph.Tests.Climbing;

public sealed class AdvCamGraphTests(ITestOutputHelper output)
{
    private const int Classes = 4;
    private const int Features = 6;

    /// <summary>A small CNN at stride 8 standing in for the ResNet backbone; parameters drawn from <paramref name="seed"/>.</summary>
    private static CamBackbone TinyBackbone(int seed) => (g, x) =>
    {
        var rng = new Random(seed);
        HostTensor<float> Weights(params long[] shape) => GradientCheck.Random(rng, shape);
        var h = g.Relu(g.Conv(x, g.Parameter("conv1.weight", Weights(8, 3, 3, 3)), g.Parameter("conv1.bias", Weights(8)), strides: [2, 2], pads: [1, 1, 1, 1]));
        h = g.MaxPool(h, [3, 3], [2, 2], [1, 1, 1, 1]).Y;
        h = g.Relu(g.Conv(h, g.Parameter("conv2.weight", Weights(Features, 8, 3, 3)), g.Parameter("conv2.bias", Weights(Features)), strides: [2, 2], pads: [1, 1, 1, 1]));
        return (h, g.Parameter("classifier.weight", Weights(Classes, Features, 1, 1)));
    };

    private static ModelSession Load(CamBackbone backbone, string name)
    {
        var g = new GraphBuilder(name);
        AdvCamGraph.Build(g, backbone, Classes);
        return ModelSession.Load(g.ToBytes(), name, new SessionConfig { WarmUp = false, IntraOpThreads = 1 });
    }

    /// <summary>Pairs (x, flip x) for each image: the climbing batch at t = 0.</summary>
    internal static HostTensor<float> PairBatch(HostTensor<float> images)
    {
        long n = images.Shape[0], c = images.Shape[1], h = images.Shape[2], w = images.Shape[3];
        var data = new float[2 * n * c * h * w];
        long plane = h * w, image = c * plane;
        for (long i = 0; i < n; i++)
        {
            Array.Copy(images.Data, i * image, data, 2 * i * image, image);
            for (long ch = 0; ch < c; ch++)
                for (long y = 0; y < h; y++)
                    for (long x = 0; x < w; x++)
                        data[(2 * i + 1) * image + ch * plane + y * w + (w - 1 - x)] = images.Data[i * image + ch * plane + y * w + x];
        }
        return new HostTensor<float>(data, 2 * n, c, h, w);
    }

    internal sealed record Step(float[] Map, long[] MapShape, float Objective, float[] Gradient, float[] Next, float[] Scores);

    internal static Step Run(ModelSession session, HostTensor<float> x, long[] classes, HostTensor<float> a0, float lambda, float tau = 0.5f, float xi = 0.08f)
    {
        var inputs = new List<SessionInput>
        {
            SessionInput.Create(ClimberContract.Image, x),
            SessionInput.Create(ClimberContract.TargetClass, classes, [classes.Length]),
            SessionInput.Create(ClimberContract.InitialMap, a0),
            SessionInput.Create(ClimberContract.MaskWeight, [lambda], []),
            SessionInput.Create(ClimberContract.MaskThreshold, [tau], []),
            SessionInput.Create(ClimberContract.StepSize, [xi], []),
        };
        try
        {
            using var r = session.Run(inputs);
            return new Step(r.Span<float>(ClimberContract.MergedMap).ToArray(), r.Shape(ClimberContract.MergedMap), r.Span<float>(ClimberContract.Objective)[0],
                r.Span<float>(ClimberContract.ImageGradient).ToArray(), r.Span<float>(ClimberContract.NextImage).ToArray(), r.Span<float>(ClimberContract.ClassScores).ToArray());
        }
        finally
        {
            foreach (var i in inputs) i.Dispose();
        }
    }

    [Fact]
    public void Climbing_objective_gradient_matches_finite_differences()
    {
        const int seed = 2024;
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        using var session = Load(TinyBackbone(seed), "advcam_tiny");
        var x0 = PairBatch(GradientCheck.Random(rng, 2, 3, 32, 40));
        long[] classes = [1, 3];

        // Step 0 gives A_0; a second step from the climbed image has a non-zero regulariser.
        var zeros = HostTensor<float>.Zeros(2, 4, 5);
        var first = Run(session, x0, classes, zeros, lambda: 0f);
        var a0 = new HostTensor<float>(first.Map, first.MapShape);
        var x1 = new HostTensor<float>(first.Next, x0.Shape);
        const float lambda = 7f;
        var step = Run(session, x1, classes, a0, lambda);
        Assert.True(step.Objective < Run(session, x1, classes, a0, 0f).Objective, "the regulariser is active at t = 1");

        // Float32 central differences on the objective (|L| ~ 1): eps = 1e-3 keeps ReLU/MaxPool kinks, the counts in g
        // and the mask M unchanged at almost every coordinate; the bound is 5% relative plus 5e-3 absolute.
        const double eps = 1e-3;
        int checkedCount = 0, agree = 0;
        foreach (int k in Enumerable.Range(0, 40).Select(_ => rng.Next(x1.Data.Length)).Distinct())
        {
            float original = x1.Data[k];
            x1.Data[k] = (float)(original + eps);
            double plus = Run(session, x1, classes, a0, lambda).Objective;
            x1.Data[k] = (float)(original - eps);
            double minus = Run(session, x1, classes, a0, lambda).Objective;
            x1.Data[k] = original;
            double numeric = (plus - minus) / (2 * eps), analytic = step.Gradient[k];
            checkedCount++;
            if (Math.Abs(numeric - analytic) <= 5e-3 + 5e-2 * Math.Max(Math.Abs(numeric), Math.Abs(analytic))) agree++;
            else output.WriteLine($"x[{k}]: graph {analytic:G5}, finite differences {numeric:G5}");
        }
        // A coordinate whose +-eps crosses a kink or flips a mask pixel legitimately disagrees; allow at most one in 40.
        Assert.True(agree >= checkedCount - 1, $"{agree} of {checkedCount} coordinates agree");
        Assert.Contains(step.Gradient, v => v != 0f);
    }

    [Fact]
    public void Climbing_objective_gradient_on_a_tiny_resnet_matches_finite_differences()
    {
        const int seed = 31;
        output.WriteLine($"seed {seed}");
        var options = new CamClassifierOptions { Classes = Classes, Backbone = new ResNetOptions { Depth = 18, Width = 4, Seed = seed, TrainableStages = ResNetStages.All } };
        var g = new GraphBuilder("advcam_resnet");
        AdvCamGraph.Build(g, (b, x) =>
        {
            var net = CamClassifier.Build(b, x, options);
            return (net.Features, net.Classifier);
        }, Classes);
        // The objective is piecewise smooth: its pieces are fixed by every comparison in the graph (ReLU masks, the
        // counts in g, the mask M) and every max-pool argmax. Expose them, and difference only where none changes.
        var pattern = g.Nodes.Where(n => n.OpType == "Greater").Select(n => n.Outputs[0])
            .Concat(g.Nodes.Where(n => n.OpType == "MaxPool").Select(n => n.Outputs[1])).ToList();
        for (int i = 0; i < pattern.Count; i++) g.Output(g.Cast(pattern[i], Onnx.TensorProto.Types.DataType.Float), $"pattern_{i}");
        using var session = ModelSession.Load(g.ToBytes(), g.Name, new SessionConfig { WarmUp = false, IntraOpThreads = 1 });

        var rng = new Random(seed);
        var x0 = PairBatch(GradientCheck.Random(rng, 1, 3, 32, 32));
        long[] classes = [2];
        var zeros = HostTensor<float>.Zeros(1, 2, 2);
        var first = Run(session, x0, classes, zeros, 0f);
        var a0 = new HostTensor<float>(first.Map, first.MapShape);
        var x = new HostTensor<float>(first.Next, x0.Shape);
        // Within one piece L is affine in x_k (every map is ReLU-linear and g, M are fixed), so the central difference is
        // exact up to float32 rounding of L (cf. PiecewiseLinearGradientCheck); 1e-3 is the analytic gradient's own rounding.
        ClimbingGradientCheck.Check(session, x, classes, a0, pattern.Count, rng, relativeTolerance: 1e-3, output);
    }

    [Fact]
    public void Merged_map_is_the_scaled_relu_class_map_plus_its_flipped_twin()
    {
        const int seed = 7;
        var rng = new Random(seed);
        var backbone = TinyBackbone(seed);
        using var session = Load(backbone, "advcam_map");

        // Reference: the class maps S from a plain forward graph with the same parameters.
        var g = new GraphBuilder("maps");
        var image = g.Input("image", Onnx.TensorProto.Types.DataType.Float, [-1, 3, -1, -1]);
        var (features, w) = backbone(g, image);
        g.Output(g.Conv(features, w), "maps");
        var wValue = g.ParameterValue("classifier.weight");
        using var maps = ModelSession.Load(g.ToBytes(), "maps", new SessionConfig { WarmUp = false });

        var x = PairBatch(GradientCheck.Random(rng, 1, 3, 32, 32));
        long cls = 2;
        var step = Run(session, x, [cls], HostTensor<float>.Zeros(1, 4, 4), 0f);
        using var input = SessionInput.Create("image", x);
        using var result = maps.Run([input]);
        var s = result.ToHost<float>("maps"); // [2, C, 4, 4]
        int h = (int)s.Shape[2], wd = (int)s.Shape[3], plane = h * wd;

        int kPos = Enumerable.Range(0, Features).Count(f => wValue.Data[cls * Features + f] > 0);
        float[] sc(int b) => s.Data.AsSpan((int)((b * Classes + cls) * plane), plane).ToArray();
        int nPos0 = sc(0).Count(v => v > 0), nPos1 = sc(1).Count(v => v > 0);
        float g0 = nPos0 / (float)Math.Max(1, kPos * (nPos0 + nPos1)), g1 = nPos1 / (float)Math.Max(1, kPos * (nPos0 + nPos1));
        for (int y = 0; y < h; y++)
        {
            for (int c = 0; c < wd; c++)
            {
                float expected = g0 * Math.Max(0, sc(0)[y * wd + c]) + g1 * Math.Max(0, sc(1)[y * wd + (wd - 1 - c)]);
                Assert.Equal(expected, step.Map[y * wd + c], 4);
            }
        }
    }

    [Fact]
    public void Next_image_is_an_l_infinity_normalised_step_clamped_to_the_iterates_range()
    {
        var rng = new Random(99);
        using var session = Load(TinyBackbone(99), "advcam_step");
        var x = PairBatch(GradientCheck.Random(rng, 2, 3, 24, 24));
        const float xi = 0.3f;
        var step = Run(session, x, [0, 2], HostTensor<float>.Zeros(2, 3, 3), 0f, xi: xi);
        int pairSize = x.Data.Length / 2;
        for (int p = 0; p < 2; p++)
        {
            var span = new Range(p * pairSize, (p + 1) * pairSize);
            float norm = step.Gradient[span].Max(Math.Abs);
            float lo = x.Data[span].Min(), hi = x.Data[span].Max();
            for (int i = p * pairSize; i < (p + 1) * pairSize; i++)
            {
                float expected = Math.Clamp(x.Data[i] + xi * step.Gradient[i] / (norm + 1e-12f), lo, hi);
                Assert.Equal(expected, step.Next[i], 5);
            }
        }
    }

    [Fact]
    public void Climbing_graph_passes_the_onnx_checker()
    {
        var g = new GraphBuilder("advcam_check");
        AdvCamGraph.Build(g, TinyBackbone(1), Classes);
        OnnxChecker.AssertValid(g.ToModel());
    }
}
