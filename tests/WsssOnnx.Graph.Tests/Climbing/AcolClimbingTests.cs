using WsssOnnx.Graph.Climbing;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using Xunit.Abstractions;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Climbing;

/// <summary>AdvCAM climbing on ACoL's fused localisation maps (<see cref="AdvCamGraph.BuildOnMaps"/>).</summary>
public sealed class AcolClimbingTests(ITestOutputHelper output)
{
    private const int Classes = 3;

    private static readonly CamClassifierOptions Network = new()
    {
        Classes = Classes,
        Acol = new AcolOptions(),
        Backbone = new ResNetOptions { Depth = 18, Width = 4, Seed = 5, TrainableStages = ResNetStages.All },
    };

    private static GraphBuilder Climber(string name)
    {
        var g = new GraphBuilder(name);
        AdvCamGraph.BuildOnMaps(g, (b, x) =>
        {
            var net = CamClassifier.Build(b, x, Network);
            return (net.LocalisationMaps(b), AdvCamGraph.PositiveWeights(b, net.Classifier));
        }, Classes);
        return g;
    }

    private static ModelSession Load(GraphBuilder g) => ModelSession.Load(g.ToBytes(), g.Name, new SessionConfig { WarmUp = false, IntraOpThreads = 1 });

    [Fact]
    public void Merged_map_is_the_scaled_fused_map_plus_its_flipped_twin_with_head_As_positive_weights()
    {
        using var climber = Load(Climber("acol_climber"));
        var reference = new GraphBuilder("acol_maps");
        var net = CamClassifier.Build(reference, reference.Input("image", DataType.Float, [-1, 3, -1, -1]), Network);
        reference.Output(net.LocalisationMaps(reference), "maps");
        var headA = reference.ParameterValue("classifier.a.conv3.weight");   // [C, H, 1, 1]
        using var maps = Load(reference);

        var x = AdvCamGraphTests.PairBatch(GradientCheck.Random(new Random(8), 1, 3, 48, 48));
        const long cls = 1;
        var step = AdvCamGraphTests.Run(climber, x, [cls], HostTensor<float>.Zeros(1, 3, 3), 0f);
        using var input = SessionInput.Create("image", x);
        using var result = maps.Run([input]);
        var s = result.ToHost<float>("maps");
        int h = (int)s.Shape[2], w = (int)s.Shape[3], plane = h * w;
        Assert.Equal([1, h, w], step.MapShape);
        Assert.All(s.Data, v => Assert.True(v >= 0f, "fused maps are non-negative"));

        long hidden = headA.Shape[1];
        int kPos = Enumerable.Range(0, (int)hidden).Count(f => headA.Data[cls * hidden + f] > 0);
        float[] Map(int b) => s.Data.AsSpan((int)((b * Classes + cls) * plane), plane).ToArray();
        int n0 = Map(0).Count(v => v > 0), n1 = Map(1).Count(v => v > 0);
        float g0 = n0 / (float)Math.Max(1, kPos * (n0 + n1)), g1 = n1 / (float)Math.Max(1, kPos * (n0 + n1));
        for (int y = 0; y < h; y++)
            for (int c = 0; c < w; c++)
                Assert.Equal(g0 * Map(0)[y * w + c] + g1 * Map(1)[y * w + (w - 1 - c)], step.Map[y * w + c], 4);
    }

    [Fact]
    public void Climbing_objective_gradient_on_acol_maps_matches_finite_differences()
    {
        const int seed = 12;
        output.WriteLine($"seed {seed}");
        var g = Climber("acol_climber_pattern");
        // The objective is smooth between the graph's comparisons (ReLU masks, the counts in g, the masks M, the erased
        // positions, the predicted classes, the larger of the two normalised maps, each map's argmax and argmin) and the
        // max-pool argmaxes: expose them all, and difference only where none changes.
        var pattern = g.Nodes.Where(n => n.OpType is "Greater" or "Less" or "Equal" && n.Outputs[0].Type == DataType.Bool).Select(n => n.Outputs[0])
            .Concat(g.Nodes.Where(n => n.OpType == "MaxPool").Select(n => n.Outputs[1])).ToList();
        for (int i = 0; i < pattern.Count; i++) g.Output(g.Cast(pattern[i], DataType.Float), $"pattern_{i}");
        using var session = Load(g);

        var rng = new Random(seed);
        var x0 = AdvCamGraphTests.PairBatch(GradientCheck.Random(rng, 1, 3, 48, 48));
        long[] classes = [0];
        var first = AdvCamGraphTests.Run(session, x0, classes, HostTensor<float>.Zeros(1, 3, 3), 0f);
        var a0 = new HostTensor<float>(first.Map, first.MapShape);
        var x = new HostTensor<float>(first.Next, x0.Shape);
        // Within one piece L is smooth but not affine (the min-max normalisation divides): central differences err by
        // eps^2 |L'''|, which 3% of the slope covers.
        ClimbingGradientCheck.Check(session, x, classes, a0, pattern.Count, rng, relativeTolerance: 3e-2, output);
    }
}
