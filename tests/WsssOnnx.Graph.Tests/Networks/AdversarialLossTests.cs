using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Networks;

/// <summary>Hung et al.'s discriminator and losses against values computed by hand from the paper's equations.</summary>
public sealed class AdversarialLossTests(ITestOutputHelper output)
{
    private readonly GradientCheck _check = new(output);

    private static float Logit(double d) => (float)Math.Log(d / (1 - d));

    private static float Evaluate(Func<GraphBuilder, Value> build)
    {
        var g = new GraphBuilder("adv");
        g.Output(build(g), "y");
        return NetworkSession.Run(g).Float("y").Data[0];
    }

    [Fact]
    public void Discriminator_loss_is_the_papers_cross_entropy_fake_zero_real_one()
    {
        double[] fake = [0.25, 0.6, 0.1], real = [0.9, 0.3];
        // L_D = mean -log(1 - D(fake)) + mean -log D(real).
        double expected = fake.Average(d => -Math.Log(1 - d)) + real.Average(d => -Math.Log(d));
        float loss = Evaluate(g => AdversarialLosses.Discriminator(g,
            g.Constant(new HostTensor<float>([.. fake.Select(Logit)], 1, 1, 1, 3)), g.Constant(new HostTensor<float>([.. real.Select(Logit)], 1, 1, 2, 1))));
        Assert.Equal(expected, loss, 5);
        // The segmenter's adversarial loss on the same fake map: mean -log D(fake).
        Assert.Equal(fake.Average(d => -Math.Log(d)), Evaluate(g => AdversarialLosses.Adversarial(g, g.Constant(new HostTensor<float>([.. fake.Select(Logit)], 1, 1, 1, 3)))), 5);
    }

    [Fact]
    public void Real_input_is_the_one_hot_ground_truth_label_smoothed_by_epsilon()
    {
        // Labels 1, 2, 255 over K = 3 classes; epsilon 0.3: (1 - 0.3) y + 0.3 / 3, so 0.8 on the label, 0.1 elsewhere.
        float[] Real(float smoothing)
        {
            var g = new GraphBuilder("real");
            g.Output(AdversarialLosses.RealInput(g, g.Constant(new HostTensor<long>([1, 2, 255], 1, 1, 3)), 3, smoothing), "real");
            var y = NetworkSession.Run(g).Float("real");
            Assert.Equal([1L, 3, 1, 3], y.Shape);
            return y.Data;
        }
        // Layout [class][pixel]: class 0 = pixels (1, 2, 255), then class 1, then class 2.
        Assert.Equal([0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f, 0f], Real(0f));
        float[] smoothed = Real(0.3f);
        float[] expected = [0.1f, 0.1f, 0.1f, 0.8f, 0.1f, 0.1f, 0.1f, 0.8f, 0.1f];
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], smoothed[i], 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => Real(1f));
    }

    [Fact]
    public void Confidence_mask_keeps_pixels_above_T_semi()
    {
        double[] d = [0.05, 0.19, 0.21, 0.5, 0.95, 0.2001];
        var g = new GraphBuilder("mask");
        g.Output(AdversarialLosses.ConfidenceMask(g, g.Constant(new HostTensor<float>([.. d.Select(Logit)], 1, 1, 2, 3))), "mask");
        Assert.Equal([0f, 0f, 1f, 1f, 1f, 1f], NetworkSession.Run(g).Float("mask").Data);
        Assert.Equal(0.2f, AdversarialLosses.SemiThreshold);
    }

    [Fact]
    public void Self_taught_loss_is_the_cross_entropy_to_the_argmax_on_masked_pixels()
    {
        // Two classes, three pixels: scores (2, 0) -> class 0, (0, 1) -> class 1, (-1, 3) -> class 1.
        var scores = new HostTensor<float>([2f, 0f, -1f, 0f, 1f, 3f], 1, 2, 1, 3);
        double[] perPixel = [Math.Log(1 + Math.Exp(-2)), Math.Log(1 + Math.Exp(-1)), Math.Log(1 + Math.Exp(-4))];
        float Loss(params float[] mask) => Evaluate(g => AdversarialLosses.SelfTaught(g, g.Constant(scores), g.Constant(new HostTensor<float>(mask, 1, 1, 1, 3))));
        Assert.Equal(perPixel[0], Loss(1, 0, 0), 5);
        Assert.Equal((perPixel[1] + perPixel[2]) / 2, Loss(0, 1, 1), 5);
        Assert.Equal(perPixel.Average(), Loss(1, 1, 1), 5);
        Assert.Equal(0f, Loss(0, 0, 0));
    }

    [Fact]
    public void Loss_gradients_match_finite_differences()
    {
        var rng = new Random(91);
        _check.Check("adv_discriminator_loss", 91, (g, v) => AdversarialLosses.Discriminator(g, v[0], v[1]), Random(rng, 2, 1, 3, 4), Random(rng, 2, 1, 2, 2));
        _check.Check("adv_adversarial_loss", 92, (g, v) => AdversarialLosses.Adversarial(g, v[0]), Random(rng, 2, 1, 3, 4));
        // The argmax target and the mask are constants: the gradient is the cross-entropy's on the kept pixels.
        var mask = new HostTensor<float>([1f, 0f, 1f, 1f, 0f, 1f], 1, 1, 2, 3);
        _check.Check("adv_self_taught_loss", 93, (g, v) => AdversarialLosses.SelfTaught(g, v[0], g.Constant(mask)), Distinct(rng, 0.3, 1, 3, 2, 3));
        _check.Check("adv_leaky_relu", 94, (g, v) => ConfidenceDiscriminator.LeakyRelu(g, v[0]), AwayFromZero(rng, 0.05, 2, 3, 4));
    }

    [Fact]
    public void Discriminator_maps_probabilities_to_a_full_size_confidence_map()
    {
        var g = new GraphBuilder("disc");
        var probabilities = g.Input("p", DataType.Float, [2, 5, 40, 48]);
        var logits = ConfidenceDiscriminator.Build(g, g.Softmax(probabilities, 1), width: 4);
        g.Output(logits, "z");
        Assert.Equal([2L, 1, 40, 48], logits.Shape);
        var convs = g.Nodes.Where(n => n.OpType == "Conv").ToList();
        Assert.Equal([4L, 8, 16, 32, 1], convs.Select(n => n.Inputs[1]!.Shape[0]));
        Assert.All(convs, n => Assert.Equal([4L, 4], n.Inputs[1]!.Shape[2..]));
        Assert.All(convs, n => Assert.Equal([2L, 2], n.Ints("strides")!));
        Assert.All(g.Parameters, p => Assert.StartsWith(ConfidenceDiscriminator.ParameterPrefix, p.Name, StringComparison.Ordinal));
        OnnxChecker.AssertValid(g);
        var x = Random(new Random(95), 2, 5, 40, 48);
        var z = NetworkSession.Run(g, ("p", x.Data, x.Shape)).Float("z");
        Assert.Equal(logits.Shape, z.Shape);
        Assert.All(z.Data, v => Assert.True(float.IsFinite(v)));
    }
}
