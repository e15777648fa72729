namespace WsssOnnx.Graph.Networks;

/// <summary>
/// DeepLab on a dilated ResNet (output stride 8 by default), with one of two heads (<see cref="DeepLabOptions.Head"/>).
/// v2 (ASPP-L): K parallel 3x3 convolutions with dilation r_k (padding r_k, with bias, "aspp.c{k}.weight/bias") from the
/// features to the classes, summed: Scores = sum_k Conv_{r_k}(f).
/// v3 (Chen et al. 2017, section 3.3): branches of C = <see cref="DeepLabOptions.AsppChannels"/> channels, each conv
/// (no bias) + BN + ReLU: a 1x1 ("aspp.c0"), a 3x3 at each rate r_k ("aspp.c{k+1}"), and image pooling ("aspp.pool":
/// global average, 1x1, BN, ReLU, then back to h x w); concatenated (5C for three rates), fused by a 1x1 to C
/// ("aspp.project", BN, ReLU), then a 1x1 classifier with bias ("aspp.classifier"). Either way Scores is
/// [N, classes, H / 8, W / 8]. Nothing is marked as a graph output: callers choose.
/// </summary>
public sealed class DeepLabSegmenter
{
    private DeepLabSegmenter(DeepLabOptions options, ResNet backbone, Value scores, IReadOnlyList<RunningStatUpdate> updates)
    {
        Options = options;
        Backbone = backbone;
        Scores = scores;
        RunningStatUpdates = updates;
    }

    public DeepLabOptions Options { get; }

    public ResNet Backbone { get; }

    public Value Image => Backbone.Image;

    /// <summary>Class scores (logits, background first), [N, classes, h, w] at the backbone's output stride.</summary>
    public Value Scores { get; }

    /// <summary>The backbone's running-statistic updates, then the v3 head's (training-mode batch normalisation only).</summary>
    public IReadOnlyList<RunningStatUpdate> RunningStatUpdates { get; }

    public static DeepLabSegmenter Build(GraphBuilder g, Value image, DeepLabOptions options)
    {
        options.Validate();
        var backbone = ResNet.Build(g, image, options.Backbone);
        var f = backbone.Features;
        var rng = new Random(options.Seed);
        var updates = new List<RunningStatUpdate>(backbone.RunningStatUpdates);
        Value scores;
        using (g.Scope("aspp"))
            scores = options.Head == DeepLabHead.DeepLabV3 ? BuildV3Head(g, f, options, rng, updates) : BuildV2Head(g, f, options, rng);
        return new DeepLabSegmenter(options, backbone, scores, updates);
    }

    private static Value BuildV2Head(GraphBuilder g, Value f, DeepLabOptions options, Random rng)
    {
        var branches = new List<Value>();
        for (int k = 0; k < options.AtrousRates.Count; k++)
        {
            long r = options.AtrousRates[k];
            using (g.Scope($"c{k}"))
            {
                var w = g.Parameter("weight", Initializers.Normal(rng, 0.01, options.Classes, f.Shape[1], 3, 3));
                var b = g.Parameter("bias", Packages.HostTensor<float>.Zeros(options.Classes));
                branches.Add(g.Conv(f, w, b, pads: [r, r, r, r], dilations: [r, r]));
            }
        }
        return g.Sum(branches);
    }

    private static Value BuildV3Head(GraphBuilder g, Value f, DeepLabOptions options, Random rng, List<RunningStatUpdate> updates)
    {
        long channels = options.AsppChannels();
        var norm = new BatchNormOptions { Mode = options.HeadBatchNormMode };

        // conv (He normal, fan out, as the backbone's) + BN + ReLU in scope name: "name.conv.weight", "name.bn.*".
        Value ConvBnRelu(string name, Value x, int kernel, long dilation)
        {
            using (g.Scope(name))
            {
                Value w;
                using (g.Scope("conv")) w = g.Parameter("weight", Initializers.HeNormalFanOut(rng, channels, x.Shape[1], kernel, kernel));
                long pad = dilation * (kernel - 1) / 2;
                var y = g.Conv(x, w, pads: [pad, pad, pad, pad], dilations: [dilation, dilation]);
                using (g.Scope("bn")) y = BatchNorm.Layer(g, y, norm, trainable: true, updates);
                return g.Relu(y);
            }
        }

        var branches = new List<Value> { ConvBnRelu("c0", f, 1, 1) };
        for (int k = 0; k < options.AtrousRates.Count; k++)
            branches.Add(ConvBnRelu($"c{k + 1}", f, 3, options.AtrousRates[k]));
        // Image-level features: bilinear upsampling of a 1x1 map is its value everywhere, so a broadcast is exact.
        var pooled = ConvBnRelu("pool", g.GlobalAveragePool(f), 1, 1);
        branches.Add(g.ExpandLike(pooled, branches[0]));
        var fused = ConvBnRelu("project", g.Concat(branches, 1), 1, 1);
        using (g.Scope("classifier"))
        {
            var w = g.Parameter("weight", Initializers.Normal(rng, 0.01, options.Classes, channels, 1, 1));
            var b = g.Parameter("bias", Packages.HostTensor<float>.Zeros(options.Classes));
            return g.Conv(fused, w, b);
        }
    }
}
