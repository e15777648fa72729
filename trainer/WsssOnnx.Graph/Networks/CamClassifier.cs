namespace WsssOnnx.Graph.Networks;

/// <summary>
/// The CAM classifier (IRN's resnet50_cam.Net): backbone features f = f(x) [N, F, h, w] at the backbone's output
/// stride, classifier W [C, F, 1, 1] (a 1x1 convolution without bias, parameter "classifier.weight"),
/// training logits z = W * GAP(f) [N, C] and class maps S = W * f [N, C, h, w] (pre-ReLU; CAM_c = ReLU(S_c)).
/// Since W is linear, z = mean over (h, w) of S. Nothing is marked as a graph output: callers choose.
/// With <see cref="CamClassifierOptions.Acol"/>, the head is ACoL's head A (<see cref="AcolHead"/>, parameters "classifier.a.*")
/// and a second head B ("classifier.b.*") reads the features erased by head A's maps (<see cref="AcolMaps"/>).
/// </summary>
public sealed class CamClassifier
{
    private CamClassifier(CamClassifierOptions options, ResNet backbone, Value classifier, Value logits, Value classMaps, AcolHead? erasingHead = null)
    {
        ErasingHead = erasingHead;
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

    /// <summary>W, [C, F, 1, 1]; with ACoL, head A's last 1x1 convolution [C, H, 1, 1].</summary>
    public Value Classifier { get; }

    /// <summary>z = W * GAP(f), [N, C]: the multi-label training logits.</summary>
    public Value Logits { get; }

    /// <summary>S = W * f, [N, C, h, w], before ReLU; with ACoL, head A's maps S_A.</summary>
    public Value ClassMaps { get; }

    /// <summary>ACoL's head B, or null for the plain CAM classifier.</summary>
    public AcolHead? ErasingHead { get; }

    /// <summary>ACoL's head B on the features erased where the <paramref name="selected"/> classes' (float [N, C] in {0, 1}) head-A maps reach delta: S_B [N, C, h, w].</summary>
    public Value ErasedClassMaps(GraphBuilder g, Value selected)
    {
        var head = ErasingHead ?? throw new InvalidOperationException("the classifier was not built with ACoL");
        var mask = AcolMaps.EraseMask(g, ClassMaps, selected, Options.Acol!.Threshold);
        return head.Apply(g, AcolMaps.Erase(g, Features, mask));
    }

    /// <summary>ACoL's head-B logits z_B = GAP(S_B) [N, C], the erasing classes being <paramref name="selected"/> (training: the labels).</summary>
    public Value ErasedLogits(GraphBuilder g, Value selected) => g.Flatten(g.GlobalAveragePool(ErasedClassMaps(g, selected)), 1);

    /// <summary>
    /// The maps a package localises with, [N, C, h, w]: the class maps S of the plain classifier; with ACoL, its fused
    /// localisation maps (<see cref="AcolMaps.Fused"/>), head B reading the features erased by the classes the classifier
    /// predicts (<see cref="AcolMaps.PredictedClasses"/>): no label is known at inference.
    /// </summary>
    public Value LocalisationMaps(GraphBuilder g) =>
        ErasingHead is null ? ClassMaps : AcolMaps.Fused(g, ClassMaps, ErasedClassMaps(g, AcolMaps.PredictedClasses(g, Logits)));

    public IReadOnlyList<RunningStatUpdate> RunningStatUpdates => Backbone.RunningStatUpdates;

    public static CamClassifier Build(GraphBuilder g, Value image, CamClassifierOptions options)
    {
        options.Validate();
        var backbone = ResNet.Build(g, image, options.Backbone);
        var f = backbone.Features;
        if (options.Acol is not null)
        {
            var rng = new Random(options.Seed);
            var a = AcolHead.Create(g, "classifier.a", f.Shape[1], options.Classes, rng);
            var b = AcolHead.Create(g, "classifier.b", f.Shape[1], options.Classes, rng);
            var s = a.Apply(g, f);
            return new CamClassifier(options, backbone, a.Classifier, g.Flatten(g.GlobalAveragePool(s), 1), s, b);
        }
        Value w;
        using (g.Scope("classifier"))
            w = g.Parameter("weight", Initializers.TorchConvDefault(new Random(options.Seed), options.Classes, f.Shape[1], 1, 1));
        var logits = g.Flatten(g.Conv(g.GlobalAveragePool(f), w), 1);
        var classMaps = g.Conv(f, w);
        return new CamClassifier(options, backbone, w, logits, classMaps);
    }
}
