using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;

namespace WsssOnnx.Graph.Tests.Networks;

public sealed class SeedLossTests(ITestOutputHelper output)
{
    private readonly GradientCheck _check = new(output);

    /// <summary>Evaluates <paramref name="f"/> on constants and returns its output.</summary>
    private static HostTensor<float> Evaluate(Func<GraphBuilder, Value> f)
    {
        var g = new GraphBuilder("seed_loss_value");
        g.Output(f(g), "y");
        return NetworkSession.Run(g).Float("y");
    }

    private static HostTensor<float> Map(long classes, long height, long width, params float[] values) => new(values, 1, classes, height, width);

    [Fact]
    public void Global_weighted_rank_pooling_weights_the_sorted_values_by_powers_of_the_decay()
    {
        // Class 0: 0.2, 0.9, 0.5 -> sorted 0.9, 0.5, 0.2; class 1: 0.1, 0.3, 0.7 -> 0.7, 0.3, 0.1.
        var p = Map(2, 1, 3, 0.2f, 0.9f, 0.5f, 0.1f, 0.3f, 0.7f);
        var half = Evaluate(g => SeedLosses.GlobalWeightedRankPooling(g, g.Constant(p), 0.5f));
        Assert.Equal([1, 2], half.Shape);
        // (1 * 0.9 + 0.5 * 0.5 + 0.25 * 0.2) / 1.75 and (0.7 + 0.15 + 0.025) / 1.75.
        Assert.Equal(1.2 / 1.75, half.Data[0], 1e-6);
        Assert.Equal(0.875 / 1.75, half.Data[1], 1e-6);
        var max = Evaluate(g => SeedLosses.GlobalWeightedRankPooling(g, g.Constant(p), 0f));
        Assert.Equal(0.9f, max.Data[0], 1e-6);
        var mean = Evaluate(g => SeedLosses.GlobalWeightedRankPooling(g, g.Constant(p), 1f));
        Assert.Equal((0.1 + 0.3 + 0.7) / 3, mean.Data[1], 1e-6);
    }

    [Fact]
    public void Log_global_weighted_rank_pooling_is_the_log_of_the_pooling_and_stays_finite_for_tiny_probabilities()
    {
        var p = Map(2, 1, 3, 0.2f, 0.9f, 0.5f, 0.1f, 0.3f, 0.7f);
        var log = Evaluate(g => SeedLosses.LogGlobalWeightedRankPooling(g, g.Log(g.Constant(p)), 0.5f));
        Assert.Equal([1, 2], log.Shape);
        Assert.Equal(Math.Log(1.2 / 1.75), log.Data[0], 1e-6);
        Assert.Equal(Math.Log(0.875 / 1.75), log.Data[1], 1e-6);
        // log p = -200, -201, -202 (p underflows to 0 in float): log G = -200 + log((1 + 0.5 e^-1 + 0.25 e^-2) / 1.75).
        var tiny = Map(1, 1, 3, -201f, -200f, -202f);
        double expected = -200 + Math.Log((1 + 0.5 * Math.Exp(-1) + 0.25 * Math.Exp(-2)) / 1.75);
        Assert.Equal(expected, Evaluate(g => SeedLosses.LogGlobalWeightedRankPooling(g, g.Constant(tiny), 0.5f)).Data[0], 1e-3);
    }

    [Fact]
    public void A_seed_on_a_pixel_collapsed_onto_another_class_keeps_its_slope()
    {
        // One pixel, 3 classes, background score 30 above the others, cue: class 1. σ_1 ≈ e^-30 ≪ the 1e-4 floor.
        // Raising s_1 by 1 lowers −log σ_1 by 1 (slope −(1 − σ_1)); on the floored p = (σ + m) / (1 + K m) it moved by ~e^-30 / m.
        var cues = new HostTensor<long>([1], 1, 1, 1);
        float Loss(float s1) => Evaluate(g => SeedLosses.Seeding(g, SeedLosses.LogProbabilities(g, g.Constant(Map(3, 1, 1, 30f, s1, 0f))), g.Constant(cues))).Data[0];
        Assert.Equal(30.0, Loss(0f), 1e-4);
        Assert.Equal(-1.0, Loss(1f) - Loss(0f), 1e-4);
        float Floored(float s1) => Evaluate(g => SeedLosses.Seeding(g, g.Log(SeedLosses.Probabilities(g, g.Constant(Map(3, 1, 1, 30f, s1, 0f)))), g.Constant(cues))).Data[0];
        Assert.Equal(0.0, Floored(1f) - Floored(0f), 1e-4);
    }

    [Fact]
    public void Probabilities_are_softmax_lifted_by_the_floor_and_sum_to_one()
    {
        var scores = Map(3, 1, 2, 0f, 50f, 1f, -50f, 2f, 0f);
        var p = Evaluate(g => SeedLosses.Probabilities(g, g.Constant(scores)));
        const double m = SeedLosses.ProbabilityFloor;
        double e = Math.Exp(1) + 1 + Math.Exp(2);
        Assert.Equal((1 / e + m) / (1 + 3 * m), p.Data[0], 1e-6);
        Assert.Equal(m / (1 + 3 * m), p.Data[3], 1e-7);   // class 1 at pixel 1: softmax ~e^-50, floored
        Assert.Equal(1.0, p.Data[1] + p.Data[3] + p.Data[5], 1e-6);
    }

    [Fact]
    public void Seeding_loss_averages_each_images_cues_and_ignores_unlabelled_pixels()
    {
        // Two images, 3 classes, 1 x 3 pixels. Image 0 cues: 0, 255, 2; image 1: 255, 1, 1.
        float[] values = [0.5f, 0.2f, 0.1f, 0.3f, 0.6f, 0.1f, 0.2f, 0.2f, 0.8f, 0.4f, 0.3f, 0.2f, 0.1f, 0.5f, 0.6f, 0.5f, 0.2f, 0.2f];
        var p = new HostTensor<float>(values, 2, 3, 1, 3);
        var cues = new HostTensor<long>([0, 255, 2, 255, 1, 1], 2, 1, 3);
        double image0 = -(Math.Log(0.5) + Math.Log(0.8)) / 2, image1 = -(Math.Log(0.5) + Math.Log(0.6)) / 2;
        var sec = Evaluate(g => SeedLosses.Seeding(g, g.Log(g.Constant(p)), g.Constant(cues)));
        Assert.Equal((image0 + image1) / 2, sec.Data[0], 1e-6);

        // DSRG's balance: background and foreground cues each averaged on their own; image 1 has no background cue.
        var dsrg = Evaluate(g => SeedLosses.Seeding(g, g.Log(g.Constant(p)), g.Constant(cues), balanced: true));
        double background = -Math.Log(0.5) / 2, foreground = (-Math.Log(0.8) + image1) / 2;
        Assert.Equal(background + foreground, dsrg.Data[0], 1e-6);

        var none = new HostTensor<long>([255, 255, 255, 255, 255, 255], 2, 1, 3);
        Assert.Equal(0f, Evaluate(g => SeedLosses.Seeding(g, g.Log(g.Constant(p)), g.Constant(none))).Data[0]);
    }

    [Fact]
    public void Expansion_loss_pools_present_classes_and_penalises_the_peak_of_absent_ones()
    {
        // One image, background + 2 foreground classes, 1 x 2 pixels; class 1 present, class 2 absent; d+ = 0.5, d- = 0.25.
        var p = Map(3, 1, 2, 0.6f, 0.3f, 0.1f, 0.5f, 0.3f, 0.2f);
        var labels = new HostTensor<float>([1f, 0f], 1, 2);
        var loss = Evaluate(g => SeedLosses.Expansion(g, g.Log(g.Constant(p)), g.Constant(labels), foregroundDecay: 0.5f, backgroundDecay: 0.25f));
        double present = -Math.Log((0.5 + 0.5 * 0.1) / 1.5);   // sorted 0.5, 0.1
        double absent = -Math.Log(1 - (0.3 + SeedLosses.ProbabilityFloor) / (1 + 3 * SeedLosses.ProbabilityFloor));   // floored peak of class 2
        double background = -Math.Log((0.6 + 0.25 * 0.3) / 1.25);
        Assert.Equal(present + absent + background, loss.Data[0], 1e-6);

        // Both classes present: no absent term, the present term averages the two.
        var both = new HostTensor<float>([1f, 1f], 1, 2);
        var loss2 = Evaluate(g => SeedLosses.Expansion(g, g.Log(g.Constant(p)), g.Constant(both), foregroundDecay: 0.5f, backgroundDecay: 0.25f));
        double second = -Math.Log((0.3 + 0.5 * 0.2) / 1.5);
        Assert.Equal((present + second) / 2 + background, loss2.Data[0], 1e-6);
    }

    [Fact]
    public void Constrain_loss_is_the_mean_kl_divergence_from_the_crf_marginals()
    {
        // Two pixels, two classes. Pixel 0: P (0.8, 0.2), Q (0.6, 0.4); pixel 1: P (0.01, 0.99), Q (0.5, 0.5).
        var p = Map(2, 1, 2, 0.8f, 0.01f, 0.2f, 0.99f);
        var q = Map(2, 1, 2, 0.6f, 0.5f, 0.4f, 0.5f);
        double kl0 = 0.6 * Math.Log(0.6 / 0.8) + 0.4 * Math.Log(0.4 / 0.2), kl1 = 0.5 * Math.Log(0.5 / 0.01) + 0.5 * Math.Log(0.5 / 0.99);
        Assert.Equal((kl0 + kl1) / 2, Evaluate(g => SeedLosses.Constrain(g, g.Log(g.Constant(p)), g.Constant(q))).Data[0], 1e-6);
        // DSRG clips Q/P to [0.05, 20]: 0.5 / 0.01 = 50 becomes 20.
        double clipped = 0.5 * Math.Log(20) + 0.5 * Math.Log(0.5 / 0.99);
        Assert.Equal((kl0 + clipped) / 2, Evaluate(g => SeedLosses.Constrain(g, g.Log(g.Constant(p)), g.Constant(q), (0.05f, 20f))).Data[0], 1e-6);
        Assert.Equal(0f, Evaluate(g => SeedLosses.Constrain(g, g.Log(g.Constant(q)), g.Constant(q))).Data[0], 1e-7);
    }

    [Fact]
    public void TopK_gradient_matches_finite_differences()
    {
        var rng = new Random(181);
        // Distinct values 0.05 apart: the order does not change under the 1e-2 finite-difference step.
        _check.Check("topk_sort", 181, (g, v) => g.TopK(v[0], 5, axis: 2).Values, Distinct(rng, 0.05, 2, 3, 5));
        _check.Check("topk_smallest", 182, (g, v) => g.TopK(v[0], 2, axis: 1, largest: false).Values, Distinct(rng, 0.05, 2, 4, 3));
    }

    [Fact]
    public void Seed_losses_gradients_match_finite_differences()
    {
        var rng = new Random(183);
        var cues = new HostTensor<long>([0, 255, 2, 1, 255, 255, 0, 2, 1, 1, 255, 0, 255, 255, 2, 0, 1, 255], 2, 3, 3);
        var labels = new HostTensor<float>([1f, 0f, 1f, 1f], 2, 2);
        var check = new GradientCheck(output) { CoordinatesPerInput = 54 };
        Value P(GraphBuilder g, Value s) => SeedLosses.LogProbabilities(g, s);
        check.Check("log_gwrp", 188, (g, v) => SeedLosses.LogGlobalWeightedRankPooling(g, v[0], 0.7f), Distinct(rng, 0.05, 2, 3, 3, 3));
        check.Check("gwrp", 183, (g, v) => SeedLosses.GlobalWeightedRankPooling(g, v[0], 0.7f), Distinct(rng, 0.05, 2, 3, 3, 3));
        check.Check("seeding", 184, (g, v) => SeedLosses.Seeding(g, P(g, v[0]), g.Constant(cues)), Random(rng, 2, 3, 3, 3));
        check.Check("seeding_balanced", 185, (g, v) => SeedLosses.Seeding(g, P(g, v[0]), g.Constant(cues), balanced: true), Random(rng, 2, 3, 3, 3));
        check.Check("expansion", 186, (g, v) => SeedLosses.Expansion(g, P(g, v[0]), g.Constant(labels), 0.9f, 0.95f), Distinct(rng, 0.2, 2, 3, 3, 3));
        var q = Random(rng, 2, 3, 3, 3);
        for (int i = 0; i < q.Data.Length; i++) q.Data[i] = 0.2f + Math.Abs(q.Data[i]);
        check.Check("constrain", 187, (g, v) => SeedLosses.Constrain(g, P(g, v[0]), g.Constant(q)), Random(rng, 2, 3, 3, 3));
    }

    [Fact]
    public void Bad_seed_loss_inputs_are_refused()
    {
        var g = new GraphBuilder("bad");
        var p = g.Constant(Map(3, 2, 2, new float[12]));
        Assert.Throws<ArgumentException>(() => SeedLosses.Seeding(g, p, g.Constant(new HostTensor<float>(new float[4], 1, 2, 2))));
        Assert.Throws<ArgumentException>(() => SeedLosses.Expansion(g, p, g.Constant(new HostTensor<float>(new float[3], 1, 3))));
        Assert.Throws<ArgumentOutOfRangeException>(() => SeedLosses.GlobalWeightedRankPooling(g, p, 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => SeedLosses.Constrain(g, p, p, (2f, 1f)));
    }
}
