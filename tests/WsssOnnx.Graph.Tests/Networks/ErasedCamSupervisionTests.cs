using WsssOnnx.Graph.Networks;
using WsssOnnx.Graph.Training;
using WsssOnnx.Packages;
using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Networks;

public sealed class ErasedCamSupervisionTests(ITestOutputHelper output)
{
    private static readonly ErasedCamSupervisionOptions Defaults = new();

    /// <summary>Normalised convolution written out: sum of in-image pixels times k(dy) k(dx), over the sum of those weights.</summary>
    private static float[] ReferenceBlur(float[] plane, int height, int width, float sigma)
    {
        int radius = (int)Math.Ceiling(3 * sigma);
        var result = new float[plane.Length];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double sum = 0, weight = 0;
                for (int dy = -radius; dy <= radius; dy++)
                {
                    for (int dx = -radius; dx <= radius; dx++)
                    {
                        int yy = y + dy, xx = x + dx;
                        if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
                        double k = Math.Exp(-(dy * dy + dx * dx) / (2.0 * sigma * sigma));
                        sum += k * plane[yy * width + xx];
                        weight += k;
                    }
                }
                result[y * width + x] = (float)(sum / weight);
            }
        }
        return result;
    }

    [Fact]
    public void Gaussian_taps_are_normalised_symmetric_and_fall_off_as_the_gaussian()
    {
        var taps = ErasedCamSupervision.GaussianTaps(1.5f);
        Assert.Equal(2 * 5 + 1, taps.Length); // radius ceil(4.5) = 5
        Assert.Equal(1.0, taps.Sum(t => (double)t), 1e-6);
        for (int i = 0; i < 5; i++) Assert.Equal(taps[i], taps[^(i + 1)]);
        Assert.Equal(Math.Exp(-1 / (2 * 1.5 * 1.5)), taps[6] / taps[5], 1e-5);
    }

    [Fact]
    public void Blur_spreads_a_point_as_the_gaussian_and_keeps_a_constant_image_constant_up_to_the_border()
    {
        const int size = 9;
        const float sigma = 1f;
        var g = new GraphBuilder("blur");
        var image = g.Input("image", DataType.Float, [1, 2, size, size]);
        g.Output(ErasedCamSupervision.GaussianBlur(g, image, sigma), "blurred");
        var data = new float[2 * size * size];
        data[4 * size + 4] = 1f;                                     // channel 0: a point in the centre
        for (int i = size * size; i < data.Length; i++) data[i] = 3f;  // channel 1: constant
        var blurred = NetworkSession.Run(g, ("image", data, [1, 2, size, size])).Float("blurred").Data;

        var taps = ErasedCamSupervision.GaussianTaps(sigma);
        // Windows of 7x7 around (4, 4) and (4, 5) lie inside the image: there the blur is the outer product of the taps.
        Assert.Equal(taps[3] * taps[3], blurred[4 * size + 4], 1e-6);
        Assert.Equal(taps[3] * taps[4], blurred[4 * size + 5], 1e-6);
        // At (4, 6) the window leaves the image: the weights inside are renormalised, so the value is larger.
        Assert.True(blurred[4 * size + 6] > taps[3] * taps[5] * 1.001f);
        var reference = ReferenceBlur(data[..(size * size)], size, size, sigma);
        for (int i = 0; i < size * size; i++) Assert.Equal(reference[i], blurred[i], 1e-6);
        for (int i = size * size; i < data.Length; i++) Assert.Equal(3f, blurred[i], 1e-5);
    }

    [Fact]
    public void The_mask_covers_the_image_classes_cam_above_delta_and_only_there_the_image_is_blurred()
    {
        var g = new GraphBuilder("erase");
        var maps = g.Input("maps", DataType.Float, [1, 2, 2, 2]);
        var labels = g.Input("labels", DataType.Float, [1, 2]);
        var image = g.Input("image", DataType.Float, [1, 3, 2, 2]);
        var cam = g.Output(ErasedCamSupervision.NormalizedCam(g, maps, labels), "cam");
        var mask = g.Output(ErasedCamSupervision.Mask(g, cam, 0.6f, 2, 2), "mask");
        g.Output(ErasedCamSupervision.Erase(g, image, mask, 0.5f), "erased");
        // Class 0 (present): S = [[4, 2], [-1, 3]] -> CAM / max = [[1, .5], [0, .75]]. Class 1 is absent: its high map must not erase.
        float[] s = [4, 2, -1, 3, 10, 10, 10, 10];
        float[] pixels = [.. Enumerable.Range(0, 12).Select(i => (float)(i * i % 7))];
        var o = NetworkSession.Run(g, ("maps", s, [1, 2, 2, 2]), ("labels", new float[] { 1, 0 }, [1, 2]), ("image", pixels, [1, 3, 2, 2]));

        float[] expectedCam = [4 / (4 + 1e-5f), 2 / (4 + 1e-5f), 0, 3 / (4 + 1e-5f), 0, 0, 0, 0];
        Assert.Equal(expectedCam, o.Float("cam").Data, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal([1f, 0f, 0f, 1f], o.Float("mask").Data);
        var erased = o.Float("erased").Data;
        for (int c = 0; c < 3; c++)
        {
            var plane = pixels[(c * 4)..(c * 4 + 4)];
            var blurred = ReferenceBlur(plane, 2, 2, 0.5f);
            Assert.Equal(blurred[0], erased[c * 4], 1e-5);     // erased: the blur
            Assert.Equal(plane[1], erased[c * 4 + 1]);          // kept: the image as it was
            Assert.Equal(plane[2], erased[c * 4 + 2]);
            Assert.Equal(blurred[3], erased[c * 4 + 3], 1e-5);
            Assert.NotEqual(plane[0], erased[c * 4], 1e-3);
        }
    }

    [Fact]
    public void Reliable_pixels_are_the_erased_cams_confident_class_or_shared_background_outside_the_erased_region()
    {
        var g = new GraphBuilder("targets");
        var cam = g.Input("cam", DataType.Float, [1, 2, 1, 6]);
        var erased = g.Input("erased", DataType.Float, [1, 2, 1, 6]);
        g.Output(ErasedCamSupervision.ReliableTargets(g, cam, erased, Defaults), "targets");
        // Pixels: 0 erased (original 0.9 > 0.6) though the erased CAM is confident; 1 class 1 (0.5 >= 0.3, largest);
        // 2 background (both below 0.05); 3 in between (0.2): ignored; 4 the original not background (0.1): ignored; 5 class 0.
        float[] original = [0.9f, 0.2f, 0.01f, 0.01f, 0.1f, 0.5f, /* class 1 */ 0f, 0f, 0.02f, 0f, 0f, 0.3f];
        float[] afterErasing = [0.8f, 0.1f, 0.03f, 0.2f, 0.01f, 0.7f, /* class 1 */ 0.1f, 0.5f, 0f, 0.1f, 0.01f, 0.4f];
        var t = NetworkSession.Run(g, ("cam", original, [1, 2, 1, 6]), ("erased", afterErasing, [1, 2, 1, 6])).Float("targets");
        Assert.Equal([1L, 3, 1, 6], t.Shape);
        float[] background = [0, 0, 1, 0, 0, 0], class0 = [0, 0, 0, 0, 0, 1], class1 = [0, 1, 0, 0, 0, 0];
        Assert.Equal([.. background, .. class0, .. class1], t.Data);
    }

    private static GraphBuilder LossGraph(long[] shape)
    {
        var g = new GraphBuilder("ecs_loss");
        var maps = g.Input("maps", DataType.Float, shape);
        var labels = g.Input("labels", DataType.Float, [shape[0], shape[1]]);
        var targets = g.Input("targets", DataType.Float, [shape[0], shape[1] + 1, shape[2], shape[3]]);
        g.Output(ErasedCamSupervision.SupervisionLoss(g, maps, labels, targets), "loss");
        return g;
    }

    [Fact]
    public void The_loss_is_the_cross_entropy_of_background_zero_against_the_present_classes_over_labelled_pixels()
    {
        OnnxChecker.AssertValid(LossGraph([2, 3, 4, 5]));
        // Class 0 present with S = [2, -1, 0.5]; class 1 absent with S = 5 everywhere (must not enter the softmax).
        // Pixel 0 labelled class 0, pixel 1 background, pixel 2 ignored (all-zero target).
        float[] maps = [2, -1, 0.5f, 5, 5, 5];
        float[] targets = [/* bg */ 0, 1, 0, /* class 0 */ 1, 0, 0, /* class 1 */ 0, 0, 0];
        var loss = NetworkSession.Run(LossGraph([1, 2, 1, 3]), ("maps", maps, [1, 2, 1, 3]), ("labels", new float[] { 1, 0 }, [1, 2]),
            ("targets", targets, [1, 3, 1, 3])).Float("loss").Data[0];
        double expected = (-Math.Log(Math.Exp(2) / (1 + Math.Exp(2))) - Math.Log(1 / (1 + Math.Exp(-1)))) / 2;
        Assert.Equal(expected, loss, 1e-5);

        var none = NetworkSession.Run(LossGraph([1, 2, 1, 3]), ("maps", maps, [1, 2, 1, 3]), ("labels", new float[] { 1, 0 }, [1, 2]),
            ("targets", new float[9], [1, 3, 1, 3])).Float("loss").Data[0];
        Assert.Equal(0f, none);
    }

    [Fact]
    public void The_loss_gradient_matches_finite_differences()
    {
        const int seed = 171;
        var rng = new Random(seed);
        var labels = new HostTensor<float>([1, 0, 1, 1, 0, 1, 1, 1], 2, 4);
        var targets = new float[2 * 5 * 3 * 3];
        for (int n = 0; n < 2; n++)
        {
            for (int p = 0; p < 9; p++)
            {
                int k = rng.Next(6); // 5: ignored
                if (k < 5 && (k == 0 || labels.Data[n * 4 + k - 1] == 1)) targets[((n * 5) + k) * 9 + p] = 1;
            }
        }
        var t = new HostTensor<float>(targets, 2, 5, 3, 3);
        var check = new GradientCheck(output) { CoordinatesPerInput = 2 * 4 * 9 };
        check.Check("ecs_loss_grad", seed, (g, v) => ErasedCamSupervision.SupervisionLoss(g, v[0], g.Constant(labels), g.Constant(t)), Random(rng, 2, 4, 3, 3));
    }

    /// <summary>Training statistics (from scratch) and the pretrained recipe's frozen statistics with frozen early stages.</summary>
    [Theory]
    [InlineData(BatchNormMode.Training, ResNetStages.All)]
    [InlineData(BatchNormMode.Frozen, ResNetStages.Layer3 | ResNetStages.Layer4)]
    public void Ecs_builds_the_classifier_again_on_shared_parameters_and_weighs_its_losses_as_set(BatchNormMode mode, ResNetStages stages)
    {
        var options = new CamClassifierOptions
        {
            Backbone = new ResNetOptions { Depth = 18, Width = 4, TrainableStages = stages, BatchNorm = new BatchNormOptions { Mode = mode } },
            Classes = 3,
            Seed = 2,
        };
        var plain = new GraphBuilder("plain");
        var plainNet = CamClassifier.Build(plain, plain.Input("image", DataType.Float, [2, 3, 32, 32]), options);

        var g = new GraphBuilder("ecs_train");
        var image = g.Input("image", DataType.Float, [2, 3, 32, 32]);
        var labels = g.Input("labels", DataType.Float, [2, 3]);
        var net = CamClassifier.Build(g, image, options);
        var ecs = ErasedCamSupervision.Build(g, net, labels, Defaults with { BlurSigma = 2f, Weight = 0.5f, ErasedClassificationWeight = 2f });
        Assert.Equal(plain.Parameters.Select(p => p.Name), g.Parameters.Select(p => p.Name));
        Assert.Same(net.Classifier, ecs.ErasedNetwork.Classifier);
        Assert.Equal(plainNet.RunningStatUpdates.Count, net.RunningStatUpdates.Count);
        Assert.Empty(ecs.ErasedNetwork.RunningStatUpdates);
        Assert.Throws<InvalidOperationException>(() => CamClassifier.Build(g, ecs.ErasedImage, options)); // sharing only inside its scope

        var loss = Losses.MultiLabelSoftMargin(g, net.Logits, labels) + ecs.Objective;
        var spec = TrainingGraph.Append(g, loss, net.RunningStatUpdates);
        g.Output(ecs.Loss, "ecs_loss");
        g.Output(ecs.Objective, "objective");
        g.Output(ecs.ErasedNetwork.Logits, "erased_logits");
        g.Output(ecs.Targets, "targets");
        OnnxChecker.AssertValid(g);

        var rng = new Random(172);
        var x = Random(rng, 2, 3, 32, 32);
        var feeds = new List<(string, Array, long[])> { ("image", x.Data, x.Shape), ("labels", new float[] { 1, 0, 1, 0, 1, 0 }, [2L, 3]) };
        var o = NetworkSession.Run(g, [.. feeds]);
        Assert.True(float.IsFinite(o.Float("loss").Data[0]));
        Assert.True(float.IsFinite(o.Float("ecs_loss").Data[0]));
        // Objective = 0.5 ECS + 2 soft margin of the erased logits: mean over (n, c) of softplus(z) - y z.
        float[] y = [1, 0, 1, 0, 1, 0];
        var z = o.Float("erased_logits").Data;
        double erasedClassification = Enumerable.Range(0, 6).Average(i => Math.Log(1 + Math.Exp(z[i])) - y[i] * z[i]);
        Assert.Equal(0.5 * o.Float("ecs_loss").Data[0] + 2 * erasedClassification, o.Float("objective").Data[0], 1e-4);
        Assert.Contains(o.Float("targets").Data, v => v == 1f);
        foreach (var name in spec.GradientOutputs) Assert.All(o.Float(name).Data, v => Assert.True(float.IsFinite(v)));
    }
}
