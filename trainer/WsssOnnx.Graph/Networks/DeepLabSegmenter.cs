namespace WsssOnnx.Graph.Networks;

/// <summary>
/// DeepLab-v2: a dilated ResNet (output stride 8 by default) and ASPP, K parallel 3x3 convolutions with dilation
/// r_k (padding r_k, with bias, parameters "aspp.c{k}.weight/bias") from the features to the classes, summed:
/// Scores = sum_k Conv_{r_k}(f) [N, classes, H / 8, W / 8]. Nothing is marked as a graph output: callers choose.
/// </summary>
public sealed class DeepLabSegmenter
{
    private DeepLabSegmenter(DeepLabOptions options, ResNet backbone, Value scores)
    {
        Options = options;
        Backbone = backbone;
        Scores = scores;
    }

    public DeepLabOptions Options { get; }

    public ResNet Backbone { get; }

    public Value Image => Backbone.Image;

    /// <summary>Class scores (logits, background first), [N, classes, h, w] at the backbone's output stride.</summary>
    public Value Scores { get; }

    public IReadOnlyList<RunningStatUpdate> RunningStatUpdates => Backbone.RunningStatUpdates;

    public static DeepLabSegmenter Build(GraphBuilder g, Value image, DeepLabOptions options)
    {
        options.Validate();
        var backbone = ResNet.Build(g, image, options.Backbone);
        var f = backbone.Features;
        var rng = new Random(options.Seed);
        var branches = new List<Value>();
        using (g.Scope("aspp"))
        {
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
        }
        return new DeepLabSegmenter(options, backbone, g.Sum(branches));
    }
}
