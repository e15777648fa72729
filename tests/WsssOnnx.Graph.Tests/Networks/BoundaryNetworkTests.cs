using WsssOnnx.Graph.Autodiff;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Networks;

/// <summary>IRN's boundary branch, group norm and the path-max affinity loss.</summary>
public sealed class BoundaryNetworkTests(ITestOutputHelper output)
{
    private readonly GradientCheck _check = new(output);

    // Directions grouped by path length (2, 2, 3, 4), each path destination first, as AffinityPaths lays them out.
    private static readonly IReadOnlyList<IReadOnlyList<(int Dy, int Dx)>> Paths =
    [
        [(0, 1), (0, 0)],
        [(1, 0), (0, 0)],
        [(0, 2), (0, 1), (0, 0)],
        [(1, 1), (0, 1), (1, 0), (0, 0)],
    ];

    [Fact]
    public void Group_norm_input_gradient_matches_finite_differences()
    {
        _check.Check("group_norm", 61, (g, x) => GroupNorm.Layer(g, x[0], 2), Random(new Random(61), 2, 4, 3, 5));
    }

    [Fact]
    public void Group_norm_normalises_each_group_of_channels()
    {
        var g = new GraphBuilder("gn");
        var x = g.Input("x", DataType.Float, [1, 4, 2, 3]);
        g.Output(GroupNorm.Layer(g, x, 2), "y");
        var input = Random(new Random(62), 1, 4, 2, 3);
        for (int i = 0; i < 12; i++) input.Data[i] = input.Data[i] * 5 + 3; // group 0: another mean and scale
        var y = NetworkSession.Run(g, ("x", input.Data, input.Shape)).Float("y").Data;
        for (int group = 0; group < 2; group++)
        {
            var part = y[(group * 12)..((group + 1) * 12)];
            double mean = part.Average(v => (double)v), variance = part.Average(v => (v - mean) * (v - mean));
            Assert.Equal(0, mean, 5);
            Assert.Equal(1, variance, 3); // 1 - eps / sigma^2
        }
    }

    [Fact]
    public void Affinity_loss_gradient_matches_finite_differences()
    {
        var rng = new Random(63);
        var masks = Masks(rng, 2, 5, 6);
        // Distinct logits 0.05 apart: no ties in a path's max within the 1e-2 differencing step.
        _check.Check("affinity_loss", 63, (g, x) => AffinityLoss.Build(g, x[0], g.Constant(masks[0]), g.Constant(masks[1]), g.Constant(masks[2]), Paths),
            Distinct(rng, 0.05, 2, 1, 5, 6));
    }

    [Fact]
    public void Affinity_loss_equals_its_definition_on_pixel_pairs()
    {
        var rng = new Random(64);
        const int n = 2, h = 5, w = 6;
        var masks = Masks(rng, n, h, w);
        var logits = Random(rng, n, 1, h, w);
        var g = new GraphBuilder("affinity_loss_value");
        var x = g.Input("logits", DataType.Float, logits.Shape);
        g.Output(AffinityLoss.Build(g, x, g.Constant(masks[0]), g.Constant(masks[1]), g.Constant(masks[2]), Paths), "loss");
        float loss = NetworkSession.Run(g, ("logits", logits.Data, logits.Shape)).Float("loss").Data[0];

        var sums = new double[3];
        var counts = new double[3];
        for (int b = 0; b < n; b++)
            for (int d = 0; d < Paths.Count; d++)
                for (int y = 0; y < h; y++)
                    for (int xx = 0; xx < w; xx++)
                    {
                        int at = ((b * Paths.Count + d) * h + y) * w + xx;
                        double max = 0;
                        foreach (var (py, px) in Paths[d])
                        {
                            int ty = y + py, tx = xx + px;
                            if (ty < h && tx >= 0 && tx < w) max = Math.Max(max, 1 / (1 + Math.Exp(-logits.Data[(b * h + ty) * w + tx])));
                        }
                        double a = 1 - max;
                        for (int k = 0; k < 3; k++)
                        {
                            if (masks[k].Data[at] == 0) continue;
                            sums[k] += k < 2 ? -Math.Log(a + 1e-5) : -Math.Log(1 + 1e-5 - a);
                            counts[k]++;
                        }
                    }
        double expected = 0.5 * (0.5 * sums[0] / (counts[0] + 1e-5) + 0.5 * sums[1] / (counts[1] + 1e-5) + sums[2] / (counts[2] + 1e-5));
        Assert.Equal(expected, loss, 4);
    }

    // Random 0/1 masks with at most one of the three set per pair, 0 where the destination leaves the grid.
    private static HostTensor<float>[] Masks(Random rng, int n, int h, int w)
    {
        var masks = Enumerable.Range(0, 3).Select(_ => HostTensor<float>.Zeros(n, Paths.Count, h, w)).ToArray();
        for (int b = 0; b < n; b++)
            for (int d = 0; d < Paths.Count; d++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        var (dy, dx) = Paths[d][0];
                        if (y + dy >= h || x + dx < 0 || x + dx >= w) continue;
                        int kind = rng.Next(4);
                        if (kind < 3) masks[kind].Data[((b * Paths.Count + d) * h + y) * w + x] = 1f;
                    }
        return masks;
    }

    private static BoundaryNetworkOptions Small => new()
    {
        Backbone = new BoundaryNetworkOptions().Backbone with { Width = 8 },
        BranchChannels = 8,
    };

    [Fact]
    public void Boundary_network_runs_on_any_image_size_at_stride_4_and_trains_only_its_branch()
    {
        var g = new GraphBuilder("boundary");
        var image = g.Input("image", DataType.Float, [1, 3, -1, -1]);
        var net = BoundaryNetwork.Build(g, image, Small);
        g.Output(g.Sigmoid(net.Logits), "boundary");
        OnnxChecker.AssertValid(g);
        Assert.All(g.TrainableParameters, p => Assert.StartsWith(BoundaryNetwork.ParameterPrefix, p.Name));
        Assert.Equal(5 * 3 + 2, g.TrainableParameters.Count());
        using var session = ModelSession.Load(g.ToBytes(), g.Name, NetworkSession.Config);
        foreach (var (h, w) in new[] { (37, 50), (64, 64), (33, 17) })
        {
            var x = Random(new Random(h), 1, 3, h, w);
            var b = NetworkSession.Run(session, null, ("image", x.Data, x.Shape)).Float("boundary");
            Assert.Equal([1L, 1, (h + 3) / 4, (w + 3) / 4], b.Shape);
            Assert.All(b.Data, v => Assert.InRange(v, 0f, 1f));
        }
    }

    [Fact]
    public void Branch_parameter_gradients_match_finite_differences_through_the_training_loss()
    {
        // A tiny static training graph: image and masks constant, the branch's parameters as graph inputs.
        var rng = new Random(65);
        var image = Random(rng, 1, 3, 24, 24);
        var masks = Masks(rng, 1, 6, 6);
        _check.Check("boundary_branch_bias", 65, (g, x) =>
        {
            var net = BoundaryNetwork.Build(g, g.Constant(image), Small);
            var logits = net.Logits + g.Reshape(x[0], 1, 1, 1, 1);
            return AffinityLoss.Build(g, logits, g.Constant(masks[0]), g.Constant(masks[1]), g.Constant(masks[2]), Paths);
        }, new HostTensor<float>([0.3f], 1));
        var g2 = new GraphBuilder("boundary_train");
        var net2 = BoundaryNetwork.Build(g2, g2.Input("image", DataType.Float, [1, 3, 24, 24]), Small);
        var loss = AffinityLoss.Build(g2, net2.Logits, g2.Constant(masks[0]), g2.Constant(masks[1]), g2.Constant(masks[2]), Paths);
        var trainable = g2.TrainableParameters.ToList();
        var grads = GradientBuilder.Gradients(g2, loss, [.. trainable.Select(p => p.Value)]);
        // The frozen backbone gets no backward pass: no ConvTranspose (a convolution's input gradient) with its weights.
        Assert.DoesNotContain(g2.Nodes, n => n.OpType == "ConvTranspose" && !n.Inputs[1]!.Name.StartsWith(BoundaryNetwork.ParameterPrefix, StringComparison.Ordinal));
        Assert.Equal(trainable.Count, grads.Count);
    }
}
