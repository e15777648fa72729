namespace WsssOnnx.Graph.Networks;

/// <summary>
/// The CAM classifier (IRN's resnet50_cam.Net): backbone features f = f(x) [N, F, h, w] at the backbone's output
/// stride, classifier W [C, F, 1, 1] (a 1x1 convolution without bias, parameter "classifier.weight"),
/// training logits z = W * GAP(f) [N, C] and class maps S = W * f [N, C, h, w] (pre-ReLU; CAM_c = ReLU(S_c)).
/// Since W is linear, z = mean over (h, w) of S. Nothing is marked as a graph output: callers choose.
/// </summary>
public sealed class CamClassifier
{
    private CamClassifier(CamClassifierOptions options, ResNet backbone, Value classifier, Value logits, Value classMaps)
    {
        Options = options;
        Backbone = backbone;
        Classifier = classifier;
        Logits = logits;
        ClassMaps = classMaps;
    }

    public CamClassifierOptions Options { get; }

    public ResNet Backbone { get; }

    public Value Image => Backbone.Image;

    /// <summary>f(x), [N, F, h, w].</summary>
    public Value Features => Backbone.Features;

    /// <summary>W, [C, F, 1, 1].</summary>
    public Value Classifier { get; }

    /// <summary>z = W * GAP(f), [N, C]: the multi-label training logits.</summary>
    public Value Logits { get; }

    /// <summary>S = W * f, [N, C, h, w], before ReLU.</summary>
    public Value ClassMaps { get; }

    public IReadOnlyList<RunningStatUpdate> RunningStatUpdates => Backbone.RunningStatUpdates;

    public static CamClassifier Build(GraphBuilder g, Value image, CamClassifierOptions options)
    {
        options.Validate();
        var backbone = ResNet.Build(g, image, options.Backbone);
        var f = backbone.Features;
        Value w;
        using (g.Scope("classifier"))
            w = g.Parameter("weight", Initializers.TorchConvDefault(new Random(options.Seed), options.Classes, f.Shape[1], 1, 1));
        var logits = g.Flatten(g.Conv(g.GlobalAveragePool(f), w), 1);
        var classMaps = g.Conv(f, w);
        return new CamClassifier(options, backbone, w, logits, classMaps);
    }
}
