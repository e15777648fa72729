using WsssOnnx.Graph.Networks;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Networks;

public sealed class ResNetTests
{
    private static (GraphBuilder G, ResNet Net) Build(int depth, ResNetLayout layout, int width = 8, long size = 64, BatchNormMode mode = BatchNormMode.Frozen)
    {
        var g = new GraphBuilder($"resnet{depth}_{layout}_{mode}");
        var image = g.Input("image", DataType.Float, [1, 3, size, size]);
        var net = ResNet.Build(g, image, new ResNetOptions
        {
            Depth = depth,
            Width = width,
            Layout = layout,
            BatchNorm = new BatchNormOptions { Mode = mode },
            TrainableStages = ResNetStages.All,
        });
        for (int l = 0; l < 4; l++) g.Output(net.Layers[l], $"layer{l + 1}");
        return (g, net);
    }

    [Theory]
    [InlineData(18)]
    [InlineData(34)]
    [InlineData(50)]
    [InlineData(101)]
    public void Every_depth_and_layout_passes_the_onnx_checker(int depth) =>
        OnnxChecker.AssertValid(Build(depth, ResNetLayout.OutputStride16).G, Build(depth, ResNetLayout.DilatedOutputStride8).G, Build(depth, ResNetLayout.OutputStride32).G);

    [Theory]
    [InlineData(18, ResNetLayout.OutputStride16, 4)]
    [InlineData(34, ResNetLayout.OutputStride16, 4)]
    [InlineData(50, ResNetLayout.OutputStride16, 4)]
    [InlineData(101, ResNetLayout.OutputStride16, 4)]
    [InlineData(18, ResNetLayout.DilatedOutputStride8, 8)]
    [InlineData(50, ResNetLayout.DilatedOutputStride8, 8)]
    [InlineData(18, ResNetLayout.OutputStride32, 2)]
    public void Onnx_runtime_shapes_equal_the_inferred_shapes(int depth, ResNetLayout layout, long featureSize)
    {
        var (g, net) = Build(depth, layout);
        var image = GradientCheck.Random(new Random(depth), 1, 3, 64, 64);
        var outputs = NetworkSession.Run(g, ("image", image.Data, image.Shape));
        for (int l = 0; l < 4; l++)
            Assert.Equal(net.Layers[l].Shape, outputs[$"layer{l + 1}"].Shape);
        long channels = 8L * 8 * (depth >= 50 ? 4 : 1);
        Assert.Equal([1, channels, featureSize, featureSize], net.Features.Shape);
        Assert.Equal(64 / featureSize, net.OutputStride);
        Assert.All((float[])outputs["layer4"].Data, v => Assert.True(float.IsFinite(v) && v >= 0));
    }

    // Parameter counts of torchvision's resnet18/50 without the fc layer (weights and BN affine; running statistics are buffers).
    [Theory]
    [InlineData(18, 11_176_512L)]
    [InlineData(50, 23_508_032L)]
    public void Full_width_parameters_match_torchvision_names_and_counts(int depth, long count)
    {
        var g = new GraphBuilder("full");
        ResNet.Build(g, g.Input("image", DataType.Float, [1, 3, -1, -1]), new ResNetOptions { Depth = depth });
        var names = g.Parameters.Select(p => p.Name).ToHashSet();
        string last = depth == 18 ? "layer4.1.bn2.bias" : "layer4.2.bn3.bias";
        string[] expected =
        [
            "conv1.weight", "bn1.weight", "bn1.running_mean", "bn1.running_var", "layer1.0.conv1.weight",
            "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var", last,
        ];
        foreach (var n in expected)
            Assert.Contains(n, names);
        long total = g.Parameters.Where(p => !p.Name.EndsWith("running_mean", StringComparison.Ordinal) && !p.Name.EndsWith("running_var", StringComparison.Ordinal))
            .Sum(p => p.Value.Shape.Aggregate(1L, (a, d) => a * d));
        Assert.Equal(count, total);
        // torchvision v1.5: layer2.0 strides in its 3x3 conv (conv1 of a basic block, conv2 of a bottleneck), and its
        // shortcut is a strided 1x1 conv.
        string strided = depth == 18 ? "layer2.0.conv1.weight" : "layer2.0.conv2.weight";
        Assert.Equal([128L, depth == 18 ? 64 : 128, 3, 3], g.Get(strided).Shape);
        foreach (var w in new[] { strided, "layer2.0.downsample.0.weight" })
            Assert.Equal([2L, 2], g.Nodes.Single(n => n.OpType == "Conv" && n.Inputs[1]!.Name == w).Ints("strides")!);
    }

    // The CNTK ImageNet ResNet-18 has a third basic block in layer4: 2 x (512*512*9 + 2*512) more parameters.
    [Fact]
    public void Layer4_blocks_adds_identity_blocks_to_layer4_only()
    {
        var g = new GraphBuilder("cntk18");
        var net = ResNet.Build(g, g.Input("image", DataType.Float, [1, 3, -1, -1]), new ResNetOptions { Depth = 18, Layer4Blocks = 3 });
        var names = g.Parameters.Select(p => p.Name).ToHashSet();
        Assert.Contains("layer4.2.conv2.weight", names);
        Assert.DoesNotContain("layer4.2.downsample.0.weight", names);
        Assert.DoesNotContain("layer3.2.conv1.weight", names);
        long total = g.Parameters.Where(p => !p.Name.Contains("running_", StringComparison.Ordinal)).Sum(p => p.Value.Shape.Aggregate(1L, (a, d) => a * d));
        Assert.Equal(11_176_512L + 2 * (512L * 512 * 9 + 2 * 512), total);
        Assert.Equal(512, net.FeatureChannels);
        var bad = new GraphBuilder("bad");
        Assert.Equal("Layer4Blocks", Assert.Throws<ArgumentException>(() =>
            ResNet.Build(bad, bad.Input("image", DataType.Float, [1, 3, 32, 32]), new ResNetOptions { Layer4Blocks = -1 })).ParamName);
    }

    [Fact]
    public void Dilated_layout_keeps_stride_8_and_dilates_layer3_by_2_and_layer4_by_4()
    {
        var (g, _) = Build(50, ResNetLayout.DilatedOutputStride8);
        foreach (var (layer, dilation) in new[] { ("layer3", 2L), ("layer4", 4L) })
        {
            var convs = g.Nodes
                .Where(n => n.OpType == "Conv" && n.Inputs[1]!.Name.StartsWith(layer + ".", StringComparison.Ordinal))
                .Where(n => n.Inputs[1]!.Name.EndsWith("conv2.weight", StringComparison.Ordinal)).ToList();
            Assert.Equal(layer == "layer3" ? 6 : 3, convs.Count);
            Assert.All(convs, c =>
            {
                Assert.Equal([dilation, dilation], c.Ints("dilations")!);
                Assert.Equal([dilation, dilation, dilation, dilation], c.Ints("pads")!);
                Assert.Equal([1L, 1], c.Ints("strides")!);
            });
        }
        var (g16, _) = Build(50, ResNetLayout.OutputStride16);
        Assert.All(g16.Nodes.Where(n => n.OpType == "Conv"), c => Assert.Equal([1L, 1], c.Ints("dilations")!));
    }

    [Fact]
    public void Default_options_train_layer3_and_layer4_only_and_never_the_running_statistics()
    {
        var g = new GraphBuilder("irn");
        ResNet.Build(g, g.Input("image", DataType.Float, [1, 3, 32, 32]), new ResNetOptions { Width = 4 });
        bool Trainable(string name) => g.Parameters.Single(p => p.Name == name).Trainable;
        Assert.False(Trainable("conv1.weight"));
        Assert.False(Trainable("bn1.weight"));
        Assert.False(Trainable("layer1.0.conv2.weight"));
        Assert.False(Trainable("layer2.3.conv3.weight"));
        Assert.True(Trainable("layer3.0.conv1.weight"));
        Assert.True(Trainable("layer3.0.bn1.weight"));
        Assert.True(Trainable("layer4.0.downsample.0.weight"));
        Assert.All(g.Parameters.Where(p => p.Name.Contains("running_", StringComparison.Ordinal)), p => Assert.False(p.Trainable));
        Assert.DoesNotContain(g.Nodes, n => n.OpType == "ReduceMean"); // frozen BN is the ONNX op
    }

    [Fact]
    public void He_initialisation_has_the_fan_out_variance()
    {
        var g = new GraphBuilder("init");
        ResNet.Build(g, g.Input("image", DataType.Float, [1, 3, 32, 32]), new ResNetOptions { Depth = 18, Seed = 3 });
        var w = g.ParameterValue("layer3.0.conv2.weight"); // [256, 256, 3, 3]: std sqrt(2 / (256 * 9))
        double mean = w.Data.Average(v => (double)v);
        double std = Math.Sqrt(w.Data.Average(v => (v - mean) * (v - mean)));
        double expected = Math.Sqrt(2.0 / (256 * 9));
        // 590k samples: the sample std has a relative standard error of 1 / sqrt(2n) = 0.09%, so 1% is ~11 errors.
        Assert.InRange(std / expected, 0.99, 1.01);
        Assert.InRange(mean, -0.05 * expected, 0.05 * expected);
        Assert.All(g.ParameterValue("layer3.0.bn2.running_var").Data, v => Assert.Equal(1f, v));
        var again = new GraphBuilder("init");
        ResNet.Build(again, again.Input("image", DataType.Float, [1, 3, 32, 32]), new ResNetOptions { Depth = 18, Seed = 3 });
        Assert.Equal(w.Data, again.ParameterValue("layer3.0.conv2.weight").Data);
    }

    [Fact]
    public void Invalid_options_name_the_field()
    {
        var g = new GraphBuilder("bad");
        var image = g.Input("image", DataType.Float, [1, 3, 32, 32]);
        Assert.Equal("Depth", Assert.Throws<ArgumentException>(() => ResNet.Build(g, image, new ResNetOptions { Depth = 26 })).ParamName);
        Assert.Equal("Width", Assert.Throws<ArgumentException>(() => ResNet.Build(g, image, new ResNetOptions { Width = 0 })).ParamName);
        Assert.Equal("Momentum", Assert.Throws<ArgumentException>(() =>
            ResNet.Build(g, image, new ResNetOptions { BatchNorm = new BatchNormOptions { Momentum = 0f } })).ParamName);
        Assert.Equal("TrainableStages", Assert.Throws<ArgumentException>(() =>
            ResNet.Build(g, image, new ResNetOptions { TrainableStages = (ResNetStages)64 })).ParamName);
        Assert.Equal("Classes", Assert.Throws<ArgumentException>(() =>
            CamClassifier.Build(g, image, new CamClassifierOptions { Classes = 0 })).ParamName);
        Assert.Equal("AtrousRates", Assert.Throws<ArgumentException>(() =>
            DeepLabSegmenter.Build(g, image, new DeepLabOptions { AtrousRates = [] })).ParamName);
        Assert.Contains("must be 18, 34, 50 or 101", Assert.Throws<ArgumentException>(() => new ResNetOptions { Depth = 152 }.Validate()).Message);
    }
}
