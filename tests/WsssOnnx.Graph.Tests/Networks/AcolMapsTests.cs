using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using Xunit.Abstractions;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Networks;

public sealed class AcolMapsTests(ITestOutputHelper output)
{
    private static float[] Run(Func<GraphBuilder, Value[], Value> build, params HostTensor<float>[] inputs)
    {
        var g = new GraphBuilder("acol");
        var values = inputs.Select((t, i) => g.Input($"x{i}", DataType.Float, t.Shape)).ToArray();
        g.Output(build(g, values), "y");
        using var session = ModelSession.Load(g.ToBytes(), "acol", new SessionConfig { WarmUp = false, IntraOpThreads = 1 });
        var feeds = inputs.Select((t, i) => SessionInput.Create($"x{i}", t)).ToList();
        try
        {
            using var r = session.Run(feeds);
            return r.Span<float>("y").ToArray();
        }
        finally
        {
            foreach (var f in feeds) f.Dispose();
        }
    }

    // Two classes on a 2x3 map. Class 0 peaks at the left, class 1 at the right; both are shifted and scaled so that only the
    // min-max normalisation can make the 0.6 threshold land where the hand computation says.
    private static readonly float[] ClassZero = [10, 8, 2, 4, 2, 2];   // norm: 1, .75, 0, .25, 0, 0
    private static readonly float[] ClassOne = [-3, -1, 2, -3, 0.5f, -0.5f]; // norm: 0, .4, 1, 0, .7, .5

    private static HostTensor<float> Maps() => new([.. ClassZero, .. ClassOne], 1, 2, 2, 3);

    [Fact]
    public void Erase_mask_marks_the_selected_classes_normalised_map_at_or_above_delta()
    {
        float[] Mask(float[] selected, float delta) => Run((g, v) => AcolMaps.EraseMask(g, v[0], v[1], delta), Maps(), new HostTensor<float>(selected, 1, 2));

        Assert.Equal([1f, 1, 0, 0, 0, 0], Mask([1, 0], 0.6f));          // class 0: norm 1 and .75
        Assert.Equal([0f, 0, 1, 0, 1, 0], Mask([0, 1], 0.6f));          // class 1: norm 1 and .7
        Assert.Equal([1f, 1, 1, 0, 1, 0], Mask([1, 1], 0.6f));          // several labels: the union
        Assert.Equal([0f, 0, 0, 0, 0, 0], Mask([0, 0], 0.6f));          // no class: nothing erased
        Assert.Equal([1f, 1, 0, 0, 0, 0], Mask([1, 0], 0.75f));         // norm exactly delta is erased (>=, as the official torch.ge)
        Assert.Equal([0f, 1, 1, 0, 1, 1], Mask([0, 1], 0.4f));
    }

    [Fact]
    public void Erasing_zeroes_every_channel_of_the_features_under_the_mask()
    {
        var features = new HostTensor<float>([.. Enumerable.Range(1, 12).Select(i => (float)i)], 1, 2, 2, 3);
        var erased = Run((g, v) => AcolMaps.Erase(g, v[0], AcolMaps.EraseMask(g, v[1], v[2], 0.6f)), features, Maps(), new HostTensor<float>([0, 1], 1, 2));
        Assert.Equal([1f, 2, 0, 4, 0, 6, 7, 8, 0, 10, 0, 12], erased);
    }

    [Fact]
    public void Fused_map_is_the_elementwise_max_of_both_normalised_maps_on_head_As_scale()
    {
        // Head A = class maps above; head B = another pair of maps. Expected per class c: R_c * max(norm A_c, norm B_c), R_c = max(0, max A_c).
        var b = new HostTensor<float>([0, 1, 2, 3, 4, 5, 7, 7, 7, 7, 7, 7], 1, 2, 2, 3);
        var fused = Run((g, v) => AcolMaps.Fused(g, v[0], v[1]), Maps(), b);
        static float[] Norm(float[] m) => [.. m.Select(v => (v - m.Min()) / Math.Max(m.Max() - m.Min(), AcolMaps.RangeFloor))];
        float[] b0 = b.Data[..6], b1 = b.Data[6..];
        var expected = new List<float>();
        foreach (var (a, other) in new[] { (ClassZero, b0), (ClassOne, b1) })
        {
            float r = Math.Max(0f, a.Max());
            expected.AddRange(Norm(a).Zip(Norm(other), (p, q) => r * Math.Max(p, q)));
        }
        output.WriteLine(string.Join(", ", fused));
        Assert.Equal(expected.Count, fused.Length);
        for (int i = 0; i < fused.Length; i++) Assert.Equal(expected[i], fused[i], 1e-5f);
        // The flat map of B's class 1 normalises to 0 (not NaN): class 1 is head A's map alone.
        Assert.Equal(2f * 0.4f, fused[7], 1e-5f);
    }

    [Fact]
    public void Predicted_classes_are_the_positive_logits_and_the_top_one()
    {
        var logits = new HostTensor<float>([-1, 2, 0.5f, -3, -2, -0.5f, -4, -1], 2, 4);
        Assert.Equal([0f, 1, 1, 0, 0, 1, 0, 0], Run((g, v) => AcolMaps.PredictedClasses(g, v[0]), logits));
    }

    [Fact]
    public void Fused_map_gradient_matches_finite_differences()
    {
        // Distinct values 0.02 apart keep each map's min and max unique under +-eps = 1e-3, so normalisation is smooth there; a
        // coordinate where the two normalised maps tie within eps would flip the Where (none does for this seed). |L| ~ 10 gives
        // rounding ~1e-7 |L| / eps ~ 1e-3, inside GradientCheck's 2% + 2e-3 bound.
        var rng = new Random(17);
        var check = new GradientCheck(output) { Epsilon = 1e-3, CoordinatesPerInput = 48 };
        check.Check("acol_fused", 17, (g, v) => AcolMaps.Fused(g, v[0], v[1]),
            GradientCheck.Distinct(rng, 0.02, 2, 3, 4, 5), GradientCheck.Distinct(rng, 0.03, 2, 3, 4, 5));
    }
}
