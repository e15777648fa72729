using WsssOnnx.Graph.Networks;
using WsssOnnx.Graph.Training;
using WsssOnnx.Runtime;
using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Networks;

public sealed class FastAdversarialExampleTests(ITestOutputHelper output)
{
    private const int Side = 16;
    private static readonly long[] ImageShape = [1, 3, Side, Side];

    private static readonly CamClassifierOptions Options = new()
    {
        Backbone = new ResNetOptions { Depth = 18, Width = 4, TrainableStages = ResNetStages.All, BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Frozen } },
        Classes = 3,
        Seed = 4,
    };

    /// <summary>A width-4 ResNet-18 CAM classifier (frozen statistics, every stage trained) whose soft margin loss at image + start the adversarial image climbs.</summary>
    private static (GraphBuilder Graph, TrainingGraphSpec Spec) Build(float epsilon)
    {
        var g = new GraphBuilder("fgsm");
        var image = g.Input("image", DataType.Float, ImageShape);
        var start = g.Input("start", DataType.Float, ImageShape);
        var labels = g.Input("labels", DataType.Float, [1, 3]);
        var startPoint = image + start;
        var net = CamClassifier.Build(g, startPoint, Options);
        var startLoss = Losses.MultiLabelSoftMargin(g, net.Logits, labels);
        var adversarial = FastAdversarialExample.Build(g, image, start, startPoint, startLoss, epsilon);
        CamClassifier adversarialNet;
        using (g.ShareParameters())
            adversarialNet = CamClassifier.Build(g, adversarial, Options);
        var loss = Losses.MultiLabelSoftMargin(g, adversarialNet.Logits, labels);
        g.Output(startLoss, "start_loss");
        g.Output(adversarial, "adversarial");
        var spec = TrainingGraph.Append(g, loss);
        OnnxChecker.AssertValid(g);
        return (g, spec);
    }

    private static readonly float[] Labels = [1, 0, 1];

    private static Dictionary<string, (Array Data, long[] Shape)> Run(GraphBuilder g, float[] image, float[] start) =>
        NetworkSession.Run(g, ("image", image, ImageShape), ("start", start, ImageShape), ("labels", Labels, [1L, 3]));

    private static float StartLoss(ModelSession session, float[] image, float[] start) =>
        NetworkSession.Run(session, ["start_loss"], ("image", image, ImageShape), ("start", start, ImageShape), ("labels", Labels, [1L, 3])).Float("start_loss").Data[0];

    [Fact]
    public void The_adversarial_image_steps_by_the_sign_of_the_finite_difference_gradient_and_stays_in_the_ball()
    {
        const float epsilon = 0.05f;
        var (g, _) = Build(epsilon);
        var rng = new Random(31);
        var image = Random(rng, ImageShape).Data;
        var start = RandomData(rng, image.Length, epsilon);
        var o = Run(g, image, start);
        var adversarial = o.Float("adversarial").Data;
        for (int i = 0; i < image.Length; i++)
            Assert.InRange(adversarial[i] - image[i], -epsilon - 1e-6f, epsilon + 1e-6f);

        // Central differences of the start loss in delta_0 (= in the start point), on 96 coordinates; the clearest decide.
        const float h = 1e-2f;
        using var session = ModelSession.Load(g.ToBytes(), g.Name, NetworkSession.Config);
        var measured = new List<(int Index, double Slope)>();
        foreach (int i in Enumerable.Range(0, 96).Select(_ => rng.Next(image.Length)).Distinct())
        {
            var plus = (float[])start.Clone();
            var minus = (float[])start.Clone();
            plus[i] += h;
            minus[i] -= h;
            double up = StartLoss(session, image, plus), down = StartLoss(session, image, minus);
            measured.Add((i, (up - down) / (2 * h)));
        }
        var clear = measured.OrderByDescending(m => Math.Abs(m.Slope)).Take(24).ToList();
        output.WriteLine($"slopes used: {Math.Abs(clear[^1].Slope):E2} to {Math.Abs(clear[0].Slope):E2}");
        Assert.True(Math.Abs(clear[^1].Slope) > 1e-4, "the finite differences are above float noise");
        int clipped = 0;
        foreach (var (i, slope) in clear)
        {
            // delta = clip(delta_0 + 1.25 epsilon sign(g), -epsilon, epsilon).
            float expected = Math.Clamp(start[i] + FastAdversarialExample.StepRatio * epsilon * Math.Sign(slope), -epsilon, epsilon);
            Assert.Equal(expected, adversarial[i] - image[i], 1e-5);
            if (Math.Abs(expected) == epsilon) clipped++;
        }
        Assert.InRange(clipped, 1, clear.Count - 1); // both the clipped and the unclipped case were checked

        // The step raises the loss: L(x + delta) > L(x + delta_0).
        var delta = adversarial.Select((v, i) => v - image[i]).ToArray();
        Assert.True(StartLoss(session, image, delta) > o.Float("start_loss").Data[0]);
    }

    [Fact]
    public void The_parameter_gradient_is_the_adversarial_images_loss_with_the_image_held_constant()
    {
        // Trained on a fixed image, the step's loss and gradients equal those of the plain network fed x + delta: nothing
        // flows back through delta's construction.
        const float epsilon = 0.05f;
        var (g, spec) = Build(epsilon);
        var rng = new Random(32);
        var image = Random(rng, ImageShape).Data;
        var start = new float[image.Length];
        var o = Run(g, image, start);
        var adversarial = o.Float("adversarial").Data;
        var plainGraph = new GraphBuilder("plain");
        var x = plainGraph.Input("image", DataType.Float, ImageShape);
        var labels = plainGraph.Input("labels", DataType.Float, [1, 3]);
        var reference = TrainingGraph.Append(plainGraph, Losses.MultiLabelSoftMargin(plainGraph, CamClassifier.Build(plainGraph, x, Options).Logits, labels));
        var r = NetworkSession.Run(plainGraph, ("image", adversarial, ImageShape), ("labels", Labels, [1L, 3]));
        Assert.Equal(r.Float("loss").Data[0], o.Float("loss").Data[0], 1e-5);
        Assert.Equal(reference.Parameters, spec.Parameters);
        for (int k = 0; k < spec.Parameters.Count; k++)
        {
            var expected = r.Float(reference.GradientOutputs[k]).Data;
            var actual = o.Float(spec.GradientOutputs[k]).Data;
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5 + 1e-3 * Math.Abs(expected[i]));
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    [InlineData(11f)]
    public void A_radius_outside_0_to_10_is_refused(float epsilon) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Build(epsilon));
}
