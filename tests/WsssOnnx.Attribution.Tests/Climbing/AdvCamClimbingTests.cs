using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Packages;
using Xunit.Abstractions;

namespace WsssOnnx.Attribution.Tests.Climbing;

/// <summary>AdvCAM's climbing behaviour (Lee et al. CVPR 2021) on a random-weight ResNet-18 of width 4 and small images.</summary>
public sealed class AdvCamClimbingTests(ITestOutputHelper output)
{
    private static AdvCamClimber Climber => ClimbingModel.Tiny.Climber;

    [Theory]
    [InlineData(501, 75, 53)]
    [InlineData(502, 64, 64)]
    [InlineData(503, 3, 2)]
    public void Plain_cam_is_one_step_and_equals_a_reference_make_cam(int seed, int width, int height)
    {
        output.WriteLine($"seed {seed}");
        var image = ClimbingModel.SmoothImage(seed, width, height);
        int[] classes = [3, 0, 1];

        var expected = ClimbingModel.Tiny.Cam.Generate(image, classes);
        var trace = new ClimbingTrace();
        var actual = Climber.Climb(image, classes, AdvCamOptions.Cam, trace);

        // Same classifier inputs, same merge code: identical to the bit.
        Assert.Equal(classes, actual.Classes);
        Assert.Equal(expected.Stride4.Shape, actual.Stride4.Shape);
        Assert.Equal(expected.Full.Shape, actual.Full.Shape);
        Assert.Equal(expected.Stride4.Data, actual.Stride4.Data);
        Assert.Equal(expected.Full.Data, actual.Full.Data);
        Assert.Equal([0, 0, 0, 0], trace.Steps.Select(s => s.Step));
        Assert.Equal([1f, 0.5f, 1.5f, 2f], trace.Steps.Select(s => s.Scale));
    }

    [Fact]
    public void Climbing_raises_the_objective()
    {
        // λ = 0: plain anti-adversarial ascent, L is the logit term and rises at every step. λ = 7: L(x_t) is not
        // monotone (the mask M_t is rebuilt every step and the L∞-normalised step has a fixed length), but the
        // logit term, the thing climbed, still ends well above where it started.
        foreach (int seed in new[] { 601, 602, 603 })
        {
            var image = ClimbingModel.SmoothImage(seed, 96, 96);
            int[] classes = [seed % 4, (seed + 1) % 4];
            var free = new ClimbingTrace();
            Climber.Climb(image, classes, new AdvCamOptions { Steps = 6, MaskWeight = 0f, Scales = [1f] }, free);
            var regularised = new ClimbingTrace();
            Climber.Climb(image, classes, new AdvCamOptions { Steps = 6, Scales = [1f] }, regularised);
            output.WriteLine($"seed {seed}: L (λ = 0) {Format(free.Steps.Select(s => s.Objective))}; logit term (λ = 7) {Format(regularised.Steps.Select(s => s.LogitTerm))}");

            Assert.Equal(6, free.Steps.Count);
            for (int t = 1; t < free.Steps.Count; t++)
                Assert.True(free.Steps[t].Objective > free.Steps[t - 1].Objective, $"seed {seed}: L fell at t = {t}");
            Assert.True(regularised.Steps[^1].LogitTerm > regularised.Steps[0].LogitTerm + 0.3f, $"seed {seed}: the logit term did not rise");
        }
    }

    [Fact]
    public void The_regulariser_keeps_the_restricted_region_near_the_initial_map()
    {
        // Drift = Σ_t Σ M_t |A_t − A_0| with M_t = 1[A_t > τ max A_t], the quantity λ weighs: measured over T = 6 steps with
        // λ = 7 and λ = 0 on four images. Measured on this network: λ = 7 gives 0.3 to 0.8 of the λ = 0 drift on 16 of 16 images.
        double free = 0, regularised = 0;
        foreach (int seed in new[] { 100, 101, 102, 103 })
        {
            var image = ClimbingModel.SmoothImage(seed, 96, 96);
            int[] classes = [seed % 4, (seed + 1) % 4];
            double Drift(float lambda)
            {
                var trace = new ClimbingTrace();
                Climber.Climb(image, classes, new AdvCamOptions { Steps = 6, MaskWeight = lambda, Scales = [1f] }, trace);
                Assert.Equal(0f, trace.Steps[0].Regulariser);
                return trace.Steps.Sum(s => s.Regulariser);
            }
            double d0 = Drift(0f), d7 = Drift(7f);
            output.WriteLine($"seed {seed}: drift λ = 0 {d0:F3}, λ = 7 {d7:F3}");
            Assert.True(d7 < d0, $"seed {seed}: λ = 7 drifted {d7:F3}, λ = 0 {d0:F3}");
            free += d0;
            regularised += d7;
        }
        Assert.True(regularised < 0.8 * free, $"total drift λ = 7 {regularised:F3}, λ = 0 {free:F3}");
    }

    [Fact]
    public void The_trace_objective_is_the_logit_term_minus_lambda_times_the_regulariser()
    {
        // The graph's L (t = 1 .. T − 2) against the host's two terms: float32 sums of ~100 values, |L| ~ 1, so 1e-5.
        var image = ClimbingModel.SmoothImage(701, 80, 96);
        var trace = new ClimbingTrace();
        Climber.Climb(image, [1, 2], new AdvCamOptions { Steps = 5, MaskWeight = 3f, Scales = [1f, 0.5f] }, trace);

        Assert.Equal(10, trace.Steps.Count);
        foreach (var step in trace.Steps)
        {
            float lambda = step.Step == 0 ? 0f : 3f;
            Assert.Equal(step.LogitTerm - lambda * step.Regulariser, step.Objective, 1e-5f);
        }
        Assert.Contains(trace.Steps, s => s.Regulariser > 0f);
    }

    [Fact]
    public void The_last_step_on_the_classifier_graph_matches_the_climbing_graph()
    {
        // x_3 is the same in both runs; T = 4 evaluates it with the classifier and the host, T = 5 with the climbing graph.
        var image = ClimbingModel.SmoothImage(801, 96, 80);
        int[] classes = [0, 3];
        var options = new AdvCamOptions { Steps = 4, Scales = [1f] };
        var hostLast = new ClimbingTrace { RecordMaps = true };
        Climber.Climb(image, classes, options, hostLast);
        var graph = new ClimbingTrace { RecordMaps = true };
        Climber.Climb(image, classes, options with { Steps = 5 }, graph);

        var a = hostLast.Steps[3];
        var b = graph.Steps[3];
        Assert.Equal(3, a.Step);
        Assert.Equal(b.Objective, a.Objective, 1e-4f);
        Assert.Equal(b.LogitTerm, a.LogitTerm, 1e-4f);
        Assert.Equal(b.Regulariser, a.Regulariser, 1e-4f);
        AssertClose(b.Maps!, a.Maps!, 1e-5f);
    }

    [Fact]
    public void Every_class_restarts_from_the_original_image()
    {
        // Climbing three classes in one batch equals climbing each alone, and each class's A_0 is the plain CAM of the
        // original image. On ORT's CPU provider both are exact (measured: 0 difference, also at T = 27 with 4 scales); the
        // 1e-4 of the max-normalised maps leaves room for providers whose kernels sum in a batch-dependent order.
        var image = ClimbingModel.SmoothImage(901, 96, 64);
        int[] classes = [2, 0, 3];
        var options = new AdvCamOptions { Steps = 6, Scales = [1f, 0.5f] };
        var together = new ClimbingTrace { RecordMaps = true };
        var maps = Climber.Climb(image, classes, options, together);
        var cam = new ClimbingTrace { RecordMaps = true };
        Climber.Climb(image, classes, AdvCamOptions.Cam with { Scales = [1f] }, cam);

        AssertClose(cam.Steps[0].Maps!, together.Steps[0].Maps!, 1e-6f);
        var objectives = new float[together.Steps.Count];
        for (int k = 0; k < classes.Length; k++)
        {
            var alone = new ClimbingTrace();
            var single = Climber.Climb(image, [classes[k]], options, alone);
            AssertClose(Plane(single.Full, 0), Plane(maps.Full, k), 1e-4f);
            AssertClose(Plane(single.Stride4, 0), Plane(maps.Stride4, k), 1e-4f);
            for (int i = 0; i < objectives.Length; i++) objectives[i] += alone.Steps[i].Objective;
        }
        for (int i = 0; i < objectives.Length; i++) Assert.Equal(together.Steps[i].Objective, objectives[i], 1e-4f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Climbing_pairs_per_call_groups_gives_the_batched_maps(int pairsPerCall)
    {
        // Same tolerance and reason as Every_class_restarts_from_the_original_image: a group is a smaller batch of the same maths.
        var image = ClimbingModel.SmoothImage(951, 64, 48);
        int[] classes = [1, 3, 0];
        var options = new AdvCamOptions { Steps = 4, Scales = [1f, 0.5f] };
        var batched = Climber.Climb(image, classes, options);
        var grouped = new ClimbingTrace();
        var maps = Climber.Climb(image, classes, options with { PairsPerCall = pairsPerCall }, grouped);

        AssertClose(batched.Full, maps.Full, 1e-4f);
        AssertClose(batched.Stride4, maps.Stride4, 1e-4f);
        int groups = (classes.Length + pairsPerCall - 1) / pairsPerCall;
        Assert.Equal(options.Scales.Count * groups * options.Steps, grouped.Steps.Count);
    }

    [Fact]
    public void Climbed_maps_differ_from_cam_and_are_normalised_per_class()
    {
        var image = ClimbingModel.SmoothImage(1001, 80, 80);
        var cam = Climber.Climb(image, [1, 2], AdvCamOptions.Cam);
        var adv = Climber.Climb(image, [1, 2], new AdvCamOptions { Steps = 4 });

        Assert.Equal(cam.Full.Shape, adv.Full.Shape);
        Assert.Equal([2L, 20, 20], adv.Stride4.Shape);
        for (int k = 0; k < 2; k++)
        {
            Assert.InRange(Plane(adv.Full, k).Data.Max(), 0.999f, 1f);
            Assert.InRange(Plane(adv.Stride4, k).Data.Max(), 0.999f, 1f);
            Assert.All(Plane(adv.Full, k).Data, v => Assert.InRange(v, 0f, 1f));
        }
        Assert.True(adv.Full.Data.Zip(cam.Full.Data).Max(p => Math.Abs(p.First - p.Second)) > 0.01f, "climbing changed nothing");
    }

    internal static HostTensor<float> Plane(HostTensor<float> maps, int k)
    {
        long plane = maps.Shape[1] * maps.Shape[2];
        return new HostTensor<float>(maps.Data.AsSpan((int)(k * plane), (int)plane).ToArray(), 1, maps.Shape[1], maps.Shape[2]);
    }

    private static void AssertClose(HostTensor<float> expected, HostTensor<float> actual, float tolerance)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        float scale = Math.Max(1e-12f, expected.Data.Max(Math.Abs));
        float worst = expected.Data.Zip(actual.Data).Max(p => Math.Abs(p.First - p.Second)) / scale;
        Assert.True(worst <= tolerance, $"largest difference {worst:G3} of the maximum {scale:G3} exceeds {tolerance:G3}");
    }

    private static string Format(IEnumerable<float> values) => string.Join(" ", values.Select(v => v.ToString("F3")));
}
