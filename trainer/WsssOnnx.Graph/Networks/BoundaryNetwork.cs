namespace WsssOnnx.Graph.Networks;

/// <summary>
/// IRN's class-boundary network (net/resnet50_irn.py, the edge branch): the frozen backbone's stem and four layer
/// outputs, each reduced by a 1x1 convolution (no bias), group norm and ReLU (stages below stride 4 upsampled
/// bilinearly by stride / 4 before the ReLU, then cropped to the stem's grid), concatenated and mapped by a 1x1
/// convolution with bias to one channel: logits [N, 1, ceil(H / 4), ceil(W / 4)], boundary B = sigmoid(logits).
/// Parameters "edge{k}.conv.weight", "edge{k}.norm.weight/bias" (k = 1..5) and "edge6.weight/bias".
/// </summary>
public sealed class BoundaryNetwork
{
    public const string ParameterPrefix = "edge";

    private BoundaryNetwork(BoundaryNetworkOptions options, ResNet backbone, Value logits)
    {
        Options = options;
        Backbone = backbone;
        Logits = logits;
    }

    public BoundaryNetworkOptions Options { get; }

    public ResNet Backbone { get; }

    public Value Image => Backbone.Image;

    /// <summary>Boundary logits at stride 4, [N, 1, h, w].</summary>
    public Value Logits { get; }

    public static BoundaryNetwork Build(GraphBuilder g, Value image, BoundaryNetworkOptions options)
    {
        options.Validate();
        var backbone = ResNet.Build(g, image, options.Backbone);
        var rng = new Random(options.Seed);
        var strides = ResNet.LayerStrides(options.Backbone.Layout);
        Value[] stages = [backbone.Stem, .. backbone.Layers];
        int[] stageStrides = [4, .. strides];
        var grid = backbone.Stem;
        var reduced = new List<Value>(stages.Length);
        for (int k = 0; k < stages.Length; k++)
        {
            using (g.Scope($"{ParameterPrefix}{k + 1}"))
            {
                Value x;
                using (g.Scope("conv"))
                    x = g.Conv(stages[k], g.Parameter("weight", Initializers.TorchConvDefault(rng, options.BranchChannels, stages[k].Shape[1], 1, 1)));
                using (g.Scope("norm")) x = GroupNorm.Layer(g, x, options.Groups);
                if (stageStrides[k] > 4) x = CropTo(g, g.UpsampleBilinear(x, stageStrides[k] / 4), grid);
                reduced.Add(g.Relu(x));
            }
        }
        Value logits;
        using (g.Scope($"{ParameterPrefix}{stages.Length + 1}"))
        {
            var w = g.Parameter("weight", Initializers.TorchConvDefault(rng, 1, options.BranchChannels * stages.Length, 1, 1));
            var b = g.Parameter("bias", Packages.HostTensor<float>.Zeros(1));
            logits = g.Conv(g.Concat(reduced, 1), w, b);
        }
        return new BoundaryNetwork(options, backbone, logits);
    }

    // IRN's [..., :h, :w] after upsampling: the top-left part the size of the stride-4 grid.
    private static Value CropTo(GraphBuilder g, Value x, Value grid)
    {
        long h = grid.Shape[2], w = grid.Shape[3];
        if (h >= 0 && w >= 0) return g.Slice(x, [0, 0], [h, w], [2, 3]);
        var ends = g.Slice(g.ShapeOf(grid), [2], [4], [0]);
        return g.SliceDynamic(x, g.Ints(0, 0), ends, g.Ints(2, 3), [x.Shape[0], x.Shape[1], -1, -1]);
    }
}
