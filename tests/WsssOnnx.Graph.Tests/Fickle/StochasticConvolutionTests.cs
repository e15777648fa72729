using WsssOnnx.Graph.Fickle;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Graph.Tests.Networks;
using WsssOnnx.Packages;
using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Fickle;

public sealed class StochasticConvolutionTests(ITestOutputHelper output)
{
    private const int Copies = 2, Channels = 5, OutChannels = 4, Height = 6, Width = 7;

    /// <summary>The decomposed convolution on <paramref name="x"/> with <paramref name="masks"/> [M, N, 8, h, w].</summary>
    private static HostTensor<float> Stochastic(HostTensor<float> x, HostTensor<float> w, HostTensor<float> masks, int dilation)
    {
        var g = new GraphBuilder("stochastic");
        var xin = g.Input("x", DataType.Float, x.Shape);
        var m = g.Input("masks", DataType.Float, [-1, -1, 8, -1, -1]);
        g.Output(StochasticConvolution.Build(g, xin, g.Constant(w), m, dilation), "y");
        return NetworkSession.Run(g, ("x", x.Data, x.Shape), ("masks", masks.Data, masks.Shape)).Float("y");
    }

    /// <summary>y(p) = sum over offsets o of m_o(p) W_o x(p + d (o - 1)), zero outside, the centre's m = 1: the definition, in loops.</summary>
    private static float[] Reference(HostTensor<float> x, HostTensor<float> w, HostTensor<float> masks, int d)
    {
        long selections = masks.Shape[0];
        var y = new float[selections * Copies * OutChannels * Height * Width];
        for (int s = 0; s < selections; s++)
            for (int n = 0; n < Copies; n++)
                for (int o = 0; o < OutChannels; o++)
                    for (int py = 0; py < Height; py++)
                        for (int px = 0; px < Width; px++)
                        {
                            double sum = 0;
                            for (int ky = 0, k = 0; ky < 3; ky++)
                                for (int kx = 0; kx < 3; kx++)
                                {
                                    bool centre = ky == 1 && kx == 1;
                                    float keep = centre ? 1f : masks.Data[(((s * Copies + n) * 8 + k) * Height + py) * Width + px];
                                    if (!centre) k++;
                                    int qy = py + d * (ky - 1), qx = px + d * (kx - 1);
                                    if (qy < 0 || qy >= Height || qx < 0 || qx >= Width || keep == 0f) continue;
                                    for (int c = 0; c < Channels; c++)
                                        sum += keep * w.Data[((o * Channels + c) * 3 + ky) * 3 + kx] * x.Data[((n * Channels + c) * Height + qy) * Width + qx];
                                }
                            y[(((s * Copies + n) * OutChannels + o) * Height + py) * Width + px] = (float)sum;
                        }
        return y;
    }

    private static HostTensor<float> Masks(int selections, Func<int, float> value) =>
        new([.. Enumerable.Range(0, selections * Copies * 8 * Height * Width).Select(value)], selections, Copies, 8, Height, Width);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void With_every_unit_kept_it_equals_the_ordinary_convolution(int dilation)
    {
        const int seed = 170;
        output.WriteLine($"seed {seed}, dilation {dilation}");
        var rng = new Random(seed + dilation);
        var x = Random(rng, Copies, Channels, Height, Width);
        var w = Random(rng, OutChannels, Channels, 3, 3);
        var y = Stochastic(x, w, Masks(3, _ => 1f), dilation);

        var g = new GraphBuilder("conv");
        var xin = g.Input("x", DataType.Float, x.Shape);
        g.Output(g.Conv(xin, g.Constant(w), pads: [dilation, dilation, dilation, dilation], dilations: [dilation, dilation]), "y");
        var expected = NetworkSession.Run(g, ("x", x.Data, x.Shape)).Float("y");

        Assert.Equal([3L * Copies, OutChannels, Height, Width], y.Shape);
        // Float sums of 45 products of unit-scale values in a different order: 1e-5 absolute.
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < expected.Data.Length; i++)
                Assert.Equal(expected.Data[i], y.Data[s * expected.Data.Length + i], 1e-5f);
    }

    [Fact]
    public void With_everything_else_dropped_the_centre_is_kept()
    {
        var rng = new Random(171);
        var x = Random(rng, Copies, Channels, Height, Width);
        var w = Random(rng, OutChannels, Channels, 3, 3);
        var y = Stochastic(x, w, Masks(2, _ => 0f), 1);
        var expected = Reference(x, w, Masks(2, _ => 0f), 1);
        Assert.Contains(y.Data, v => Math.Abs(v) > 0.1f);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], y.Data[i], 1e-5f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Random_masks_select_per_selection_copy_offset_and_position(int dilation)
    {
        const int seed = 172;
        output.WriteLine($"seed {seed}, dilation {dilation}");
        var rng = new Random(seed);
        var x = Random(rng, Copies, Channels, Height, Width);
        var w = Random(rng, OutChannels, Channels, 3, 3);
        // Inverted dropout at p = 0.5: 0 or 1 / (1 - p) = 2.
        var masks = Masks(4, _ => rng.NextDouble() < 0.5 ? 0f : 2f);
        var y = Stochastic(x, w, masks, dilation);
        var expected = Reference(x, w, masks, dilation);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], y.Data[i], 1e-4f);
    }

    [Theory]
    [InlineData(18)]
    [InlineData(50)]
    public void Fickle_graph_with_nothing_dropped_reproduces_the_classifier_maps(int depth)
    {
        var options = new CamClassifierOptions
        {
            Classes = 3,
            Seed = 5,
            Backbone = new ResNetOptions { Depth = depth, Width = 4, Seed = 5, BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Folded } },
        };
        var cls = new GraphBuilder("classifier");
        var net = CamClassifier.Build(cls, cls.Input(ClassifierContract.Image, DataType.Float, [2, 3, 48, 64]), options);
        cls.Output(net.ClassMaps, ClassifierContract.ClassMaps);
        cls.Output(net.Backbone.FinalBlock.Hidden, FickleContract.Hidden);
        cls.Output(net.Backbone.FinalBlock.Shortcut, FickleContract.Shortcut);
        var weights = cls.Parameters.ToDictionary(p => p.Name, p => cls.ParameterValue(p.Name));
        var image = Random(new Random(173), 2, 3, 48, 64);
        var c = NetworkSession.Run(cls, (ClassifierContract.Image, image.Data, image.Shape));
        var maps = c.Float(ClassifierContract.ClassMaps);
        var hidden = c.Float(FickleContract.Hidden);
        var shortcut = c.Float(FickleContract.Shortcut);

        var fickle = new GraphBuilder("fickle");
        FickleGraph.Build(fickle, options);
        fickle.SetParameters(weights.Where(kv => fickle.Parameters.Any(p => p.Name == kv.Key)).ToDictionary());
        long h = maps.Shape[2], w = maps.Shape[3];
        var ones = new HostTensor<float>([.. Enumerable.Repeat(1f, (int)(2 * 2 * 8 * h * w))], 2, 2, 8, h, w);
        var s = NetworkSession.Run(fickle, (FickleContract.Hidden, hidden.Data, hidden.Shape), (FickleContract.Shortcut, shortcut.Data, shortcut.Shape),
            (FickleContract.KeepMasks, ones.Data, ones.Shape)).Float(FickleContract.ClassMaps);

        Assert.Equal([4L, 3, h, w], s.Shape);
        float scale = maps.Data.Max(Math.Abs);
        for (int sel = 0; sel < 2; sel++)
            for (int i = 0; i < maps.Data.Length; i++)
                Assert.Equal(maps.Data[i], s.Data[sel * maps.Data.Length + i], 1e-5f * Math.Max(1f, scale));
    }
}
