using WsssOnnx.Graph.Autodiff;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using Xunit.Abstractions;
using static WsssOnnx.Graph.Tests.GradientCheck;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Networks;

public sealed class DeepLabSegmenterTests(ITestOutputHelper output)
{
    private static DeepLabOptions Small(int depth, BatchNormMode mode) => new()
    {
        Backbone = new DeepLabOptions().Backbone with { Depth = depth, Width = 8, BatchNorm = new BatchNormOptions { Mode = mode, TrainAffine = false } },
    };

    [Fact]
    public void Segmenter_passes_the_onnx_checker_and_runs_at_stride_8()
    {
        var g = new GraphBuilder("deeplab_resnet101");
        var image = g.Input("image", DataType.Float, [1, 3, 64, 64]);
        var net = DeepLabSegmenter.Build(g, image, Small(101, BatchNormMode.Frozen));
        g.Output(net.Scores, "scores");
        Assert.Equal([1L, 21, 8, 8], net.Scores.Shape);
        Assert.Equal(8, net.Backbone.OutputStride);
        var aspp = g.Nodes.Where(n => n.OpType == "Conv" && n.Inputs[1]!.Name.StartsWith("aspp.", StringComparison.Ordinal)).ToList();
        Assert.Equal([6L, 12, 18, 24], aspp.Select(n => n.Ints("dilations")![0]));
        Assert.All(aspp, n => Assert.NotNull(n.Inputs[2]));
        Assert.False(g.Parameters.Single(p => p.Name == "layer1.0.bn1.weight").Trainable);
        Assert.True(g.Parameters.Single(p => p.Name == "conv1.weight").Trainable);
        OnnxChecker.AssertValid(g);

        var x = Random(new Random(51), 1, 3, 64, 64);
        Assert.Equal(net.Scores.Shape, NetworkSession.Run(g, ("image", x.Data, x.Shape))["scores"].Shape);
    }

    [Fact]
    public void Training_graph_with_batch_statistics_loss_and_gradients_passes_the_onnx_checker_and_runs()
    {
        var g = new GraphBuilder("deeplab_train");
        var image = g.Input("image", DataType.Float, [2, 3, 64, 64]);
        var labels = g.Input("labels", DataType.Int64, [2, 8, 8]);
        var net = DeepLabSegmenter.Build(g, image, Small(50, BatchNormMode.Training));
        var loss = g.Output(Losses.CrossEntropy(g, net.Scores, labels), "loss");
        var trainable = g.TrainableParameters.ToList();
        Assert.DoesNotContain(trainable, p => p.Name.Contains("bn", StringComparison.Ordinal));
        var grads = GradientBuilder.Gradients(g, loss, [.. trainable.Select(p => p.Value)]);
        for (int i = 0; i < grads.Count; i++) g.Output(grads[i], "grad." + trainable[i].Name);
        // All stages train, so every BN layer (53 in ResNet-50) updates both statistics.
        Assert.Equal(2 * 53, net.RunningStatUpdates.Count);
        OnnxChecker.AssertValid(g);

        var rng = new Random(52);
        var x = Random(rng, 2, 3, 64, 64);
        var y = new HostTensor<long>([.. Enumerable.Range(0, 128).Select(i => i % 7 == 0 ? 255L : rng.Next(21))], 2, 8, 8);
        var outputs = NetworkSession.Run(g, ("image", x.Data, x.Shape), ("labels", y.Data, y.Shape));
        Assert.True(float.IsFinite(outputs.Float("loss").Data[0]));
        foreach (var p in trainable) Assert.Equal(p.Value.Shape, outputs["grad." + p.Name].Shape);
        foreach (var u in net.RunningStatUpdates) Assert.Equal(g.Get(u.Parameter).Shape, outputs[u.Output].Shape);
    }

    private static DeepLabOptions SmallV3(int depth, int width, BatchNormMode mode) => Small(depth, mode) with
    {
        Backbone = Small(depth, mode).Backbone with { Width = width },
        Head = DeepLabHead.DeepLabV3,
        AtrousRates = DeepLabOptions.DeepLabV3AtrousRates,
        HeadBatchNormMode = mode,
        Seed = 3,
    };

    [Fact]
    public void V3_head_has_the_papers_branches_and_keeps_stride_8()
    {
        var g = new GraphBuilder("deeplab_v3");
        var image = g.Input("image", DataType.Float, [2, 3, 64, 96]);
        var net = DeepLabSegmenter.Build(g, image, SmallV3(18, 8, BatchNormMode.Frozen));
        g.Output(net.Scores, "scores");
        Assert.Equal([2L, 21, 8, 12], net.Scores.Shape);

        // Branches of 4 x width = 32 channels: 1x1, 3x3 at 6/12/18, image pooling; concatenated to 5 x 32, fused to 32.
        long c = 32, features = net.Backbone.FeatureChannels;
        Conv(g, "aspp.c0.conv.weight", [c, features, 1, 1], 1);
        Conv(g, "aspp.c1.conv.weight", [c, features, 3, 3], 6);
        Conv(g, "aspp.c2.conv.weight", [c, features, 3, 3], 12);
        Conv(g, "aspp.c3.conv.weight", [c, features, 3, 3], 18);
        var pool = Conv(g, "aspp.pool.conv.weight", [c, features, 1, 1], 1);
        Assert.Equal("GlobalAveragePool", pool.Inputs[0]!.Producer!.OpType);
        var project = Conv(g, "aspp.project.conv.weight", [c, 5 * c, 1, 1], 1);
        Assert.Equal("Concat", project.Inputs[0]!.Producer!.OpType);
        Assert.Equal([2L, 5 * c, 8, 12], project.Inputs[0]!.Shape);
        var classifier = Conv(g, "aspp.classifier.weight", [21, c, 1, 1], 1);
        Assert.NotNull(classifier.Inputs[2]);
        // Every branch and the fusion: conv without bias, batch norm, ReLU.
        foreach (string branch in new[] { "c0", "c1", "c2", "c3", "pool", "project" })
        {
            Assert.Null(Conv(g, $"aspp.{branch}.conv.weight", null, null).Inputs.ElementAtOrDefault(2));
            Assert.Contains(g.Parameters, p => p.Name == $"aspp.{branch}.bn.running_var");
        }
        Assert.Equal(6, g.Nodes.Count(n => n.OpType == "BatchNormalization" && n.Inputs[1]!.Name.StartsWith("aspp.", StringComparison.Ordinal)));
        OnnxChecker.AssertValid(g);

        var x = Random(new Random(53), 2, 3, 64, 96);
        var scores = NetworkSession.Run(g, ("image", x.Data, x.Shape)).Float("scores");
        Assert.Equal(net.Scores.Shape, scores.Shape);
        Assert.All(scores.Data, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void V3_head_trains_with_batch_statistics_and_updates_its_running_statistics()
    {
        var g = new GraphBuilder("deeplab_v3_train");
        var image = g.Input("image", DataType.Float, [2, 3, 64, 64]);
        var labels = g.Input("labels", DataType.Int64, [2, 8, 8]);
        var net = DeepLabSegmenter.Build(g, image, SmallV3(18, 8, BatchNormMode.Training));
        var loss = g.Output(Losses.CrossEntropy(g, net.Scores, labels), "loss");
        var trainable = g.TrainableParameters.ToList();
        // The head's batch norm trains its scale and bias (the backbone's, frozen as DeepLab-v2's, does not).
        Assert.Contains(trainable, p => p.Name == "aspp.project.bn.weight");
        Assert.DoesNotContain(trainable, p => p.Name == "layer1.0.bn1.weight");
        var grads = GradientBuilder.Gradients(g, loss, [.. trainable.Select(p => p.Value)]);
        for (int i = 0; i < grads.Count; i++) g.Output(grads[i], "grad." + trainable[i].Name);
        // ResNet-18 has 20 BN layers, the head 6; each updates mean and variance.
        Assert.Equal(2 * (20 + 6), net.RunningStatUpdates.Count);
        Assert.Contains(net.RunningStatUpdates, u => u.Parameter == "aspp.pool.bn.running_mean");
        OnnxChecker.AssertValid(g);

        var rng = new Random(54);
        var x = Random(rng, 2, 3, 64, 64);
        var y = new HostTensor<long>([.. Enumerable.Range(0, 128).Select(i => i % 5 == 0 ? 255L : rng.Next(21))], 2, 8, 8);
        var outputs = NetworkSession.Run(g, ("image", x.Data, x.Shape), ("labels", y.Data, y.Shape));
        Assert.True(float.IsFinite(outputs.Float("loss").Data[0]));
        foreach (var p in trainable) Assert.Equal(p.Value.Shape, outputs["grad." + p.Name].Shape);
        // Batch statistics moved the head's running mean off its initial zeros.
        Assert.Contains(outputs.Float("aspp.c0.bn.running_mean.next").Data, v => v != 0f);
    }

    [Fact]
    public void V3_folded_head_gives_the_frozen_heads_scores()
    {
        var x = Random(new Random(55), 1, 3, 48, 40);
        var weights = new Dictionary<string, HostTensor<float>>();
        HostTensor<float> Scores(BatchNormMode mode)
        {
            var g = new GraphBuilder("v3_" + mode);
            var net = DeepLabSegmenter.Build(g, g.Input("image", DataType.Float, [1, 3, -1, -1]), SmallV3(18, 4, BatchNormMode.Frozen).WithBatchNormMode(mode));
            g.Output(net.Scores, "scores");
            // Non-trivial statistics and affine parameters, the same in both graphs.
            var rng = new Random(56);
            foreach (var p in g.Parameters.Where(p => p.Name.Contains(".bn.", StringComparison.Ordinal)))
            {
                bool variance = p.Name.EndsWith("var", StringComparison.Ordinal);
                if (!weights.ContainsKey(p.Name))
                    weights[p.Name] = new HostTensor<float>([.. RandomData(rng, p.Value.Shape[0]).Select(v => variance ? 1f + 0.5f * v * v : v)], p.Value.Shape);
            }
            g.SetParameters(weights);
            return NetworkSession.Run(g, ("image", x.Data, x.Shape)).Float("scores");
        }
        var frozen = Scores(BatchNormMode.Frozen);
        var folded = Scores(BatchNormMode.Folded);
        Assert.Equal(frozen.Shape, folded.Shape);
        for (int i = 0; i < frozen.Data.Length; i++) Assert.Equal(frozen.Data[i], folded.Data[i], 1e-4f);
    }

    // The tiny v3 segmenter with frozen statistics is piecewise linear in the image and in each parameter (global
    // average pooling, broadcast and concatenation are linear), so the piecewise-linear check applies.
    [Fact]
    public void V3_gradients_with_respect_to_image_and_head_parameters_match_finite_differences() =>
        new PiecewiseLinearGradientCheck(output) { CoordinatesPerTensor = 8, MinimumChecked = 4 }.Check("deeplab_v3_head", 57,
            (g, x) => DeepLabSegmenter.Build(g, x, SmallV3(18, 4, BatchNormMode.Frozen)).Scores, Random(new Random(57), 1, 3, 32, 32), withInput: true,
            "aspp.c0.conv.weight", "aspp.c1.conv.weight", "aspp.pool.conv.weight", "aspp.project.conv.weight", "aspp.project.bn.weight", "aspp.classifier.weight");

    // The image-pooling branch in training form: global average, 1x1 conv, batch statistics over the N values of each
    // channel, ReLU, broadcast back; the statistics depend on every image, which a wrong rule would miss by O(1).
    [Fact]
    public void V3_pooling_branch_with_batch_statistics_matches_finite_differences()
    {
        var rng = new Random(58);
        var x = Random(rng, 3, 4, 3, 5);
        var w = Random(rng, 6, 4, 1, 1);
        var scale = new HostTensor<float>([.. RandomData(rng, 6).Select(v => 1f + 0.5f * v)], 6);
        new GradientCheck(output).Check("v3_pool_branch", 58, (g, v) =>
        {
            var pooled = g.Conv(g.GlobalAveragePool(v[0]), v[1]);
            var (y, _, _) = BatchNorm.Training(g, pooled, v[2], g.Constant(HostTensor<float>.Zeros(6)), g.Constant(HostTensor<float>.Zeros(6)),
                g.Constant(new HostTensor<float>([1f, 1f, 1f, 1f, 1f, 1f], 6)));
            return g.ExpandLike(g.Relu(y + g.Scalar(0.1f)), g.Conv(v[0], v[1]));
        }, x, w, scale);
    }

    private static GraphNode Conv(GraphBuilder g, string weight, long[]? shape, long? dilation)
    {
        var node = g.Nodes.Single(n => n.OpType == "Conv" && n.Inputs[1]!.Name == weight);
        if (shape is not null) Assert.Equal(shape, node.Inputs[1]!.Shape);
        if (dilation is not null) Assert.Equal(dilation.Value, node.Ints("dilations")![0]);
        return node;
    }
}
