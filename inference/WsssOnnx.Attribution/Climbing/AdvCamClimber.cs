using System.Diagnostics;
using System.Numerics.Tensors;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Attribution.Climbing;

/// <summary>
/// AdvCAM (Lee et al. CVPR 2021): anti-adversarial climbing of an image towards each of its classes,
/// with every step's attribution A_t accumulated, at several scales merged like IRN's make_cam. Per scale, the image is
/// resized bilinearly (half-pixel), and all P classes climb together in one batch of
/// P (image, flipped image) pairs, each pair starting from the original image: one climbing-graph call per step for
/// t = 0 .. T − 2 (λ = 0 and A_0 = 0 at t = 0, the real λ and A_0 after), and the classifier graph for t = T − 1,
/// whose gradient nobody needs. With T = 1 this is plain CAM.
/// Thread-safe: concurrent calls share the sessions (ORT's Run is thread-safe) and own their buffers.
/// </summary>
public sealed class AdvCamClimber
{
    private readonly ModelSession _classifier;
    private readonly ModelSession? _climber;
    private readonly ImageNormalization _normalization;

    /// <param name="classifier">A package's classifier.onnx: image -> logits, class_maps (pre-ReLU S), positive_weights (K_pos).</param>
    /// <param name="climber">The same package's climber.onnx (one climbing step); null allows only plain CAM (Steps = 1).</param>
    /// <param name="normalization">The package's input normalisation.</param>
    public AdvCamClimber(ModelSession classifier, ModelSession? climber, ImageNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(normalization);
        RequireSignature(classifier, nameof(classifier), [ClassifierContract.Image], [ClassifierContract.ClassMaps, ClassifierContract.PositiveWeights]);
        if (climber is not null)
        {
            RequireSignature(climber, nameof(climber),
                [ClimberContract.Image, ClimberContract.TargetClass, ClimberContract.InitialMap, ClimberContract.MaskWeight, ClimberContract.MaskThreshold, ClimberContract.StepSize],
                [ClimberContract.MergedMap, ClimberContract.Objective, ClimberContract.NextImage, ClimberContract.ClassScores]);
        }
        var kPos = classifier.Outputs.First(o => o.Name == ClassifierContract.PositiveWeights);
        if (kPos.Shape is not [> 0])
            throw new ArgumentException($"the classifier {classifier.Source} declares {kPos}; a fixed class count [C] is needed", nameof(classifier));
        _classifier = classifier;
        _climber = climber;
        _normalization = normalization;
        ClassCount = (int)kPos.Shape[0];
    }

    /// <summary>C: the model's foreground classes; class indices given to <see cref="Climb"/> are in [0, C).</summary>
    public int ClassCount { get; }

    /// <summary>Whether climbing (Steps &gt; 1) is available, i.e. a climbing session was given.</summary>
    public bool CanClimb => _climber is not null;

    /// <summary>
    /// Attribution maps of <paramref name="classes"/> (0-based foreground indices, distinct; the image's ground-truth
    /// classes) at stride 4 and full size, each divided by its own max + 1e-5. Cancellation is checked between steps
    /// and, through ORT's terminate flag, inside them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Invalid options, a class outside [0, C), or an image over <see cref="AdvCamOptions.MaxSide"/>.</exception>
    public ClassMaps Climb(RgbImage image, IReadOnlyList<int> classes, AdvCamOptions? options = null, ClimbingTrace? trace = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(classes);
        options = (options ?? new AdvCamOptions()).Validate();
        if (Math.Max(image.Width, image.Height) > options.MaxSide)
        {
            throw new ArgumentOutOfRangeException(nameof(image), $"{image.Width}x{image.Height}",
                $"the image's long side must be at most AdvCamOptions.MaxSide = {options.MaxSide} pixels; got {image.Width}x{image.Height} (larger images are rejected, not downscaled)");
        }
        int[] targets = CheckClasses(classes);
        if (options.Steps > 1 && _climber is null)
            throw new InvalidOperationException($"AdvCAM with Steps = {options.Steps} needs the package's climber.onnx; this climber has only the classifier (Steps = 1 is plain CAM)");

        var merge = new MultiScaleMerge(targets.Length, image.Width, image.Height);
        if (targets.Length == 0) return merge.Finish(targets);
        foreach (float scale in options.Scales)
        {
            cancellation.ThrowIfCancellationRequested();
            int w = Math.Max(1, (int)Math.Round(image.Width * scale)), h = Math.Max(1, (int)Math.Round(image.Height * scale));
            var scaled = scale == 1f ? image : ImageResize.Resize(image, w, h, Interpolation.Bilinear);
            merge.Add(ClimbInGroups(scaled, scale, targets, options, trace, cancellation));
        }
        return merge.Finish(targets);
    }

    /// <summary>Σ_t A_t for every class at one scale, [P, h, w]: the classes climbed <see cref="AdvCamOptions.PairsPerCall"/> at a time.</summary>
    private HostTensor<float> ClimbInGroups(RgbImage scaled, float scale, int[] classes, AdvCamOptions o, ClimbingTrace? trace, CancellationToken cancellation)
    {
        int group = o.PairsPerCall == 0 ? classes.Length : o.PairsPerCall;
        // Plain CAM reads one shared pair for all classes, so grouping would only repeat the same call.
        if (group >= classes.Length || o.Steps == 1) return ClimbScale(scaled, scale, classes, o, trace, cancellation);
        HostTensor<float>? all = null;
        for (int start = 0; start < classes.Length; start += group)
        {
            var part = ClimbScale(scaled, scale, classes[start..Math.Min(classes.Length, start + group)], o, trace, cancellation);
            all ??= HostTensor<float>.Zeros(classes.Length, part.Shape[1], part.Shape[2]);
            part.Data.CopyTo(all.Data, start * part.Shape[1] * part.Shape[2]);
        }
        return all!;
    }

    /// <summary>Σ_t A_t for every class at one scale, [P, h, w] at the classifier's stride.</summary>
    private HostTensor<float> ClimbScale(RgbImage scaled, float scale, int[] classes, AdvCamOptions o, ClimbingTrace? trace, CancellationToken cancellation)
    {
        int steps = o.Steps;
        if (steps == 1)
        {
            // Plain CAM: every class reads the same (image, flip) pair, so one pair is enough.
            var clock = Stopwatch.StartNew();
            using var image = SessionInput.Create(ClassifierContract.Image, PairBatch.Create(scaled, _normalization, 1));
            var (maps, logits) = FinalStep(image, classes, sharedPair: true, cancellation);
            trace?.Add(new ClimbingStep(scale, 0, (float)logits, (float)logits, 0f, trace.RecordMaps ? Copy(maps) : null, clock.Elapsed));
            return maps;
        }

        // Ping-pong buffers: step t reads x_t from one and the graph writes x_{t+1} into the other (pinned, no copy).
        var x = PairBatch.Create(scaled, _normalization, classes.Length);
        var y = HostTensor<float>.Zeros(x.Shape);
        var target = new HostTensor<long>([.. classes.Select(c => (long)c)], classes.Length);
        var scores = HostTensor<float>.Zeros(2L * classes.Length, ClassCount);
        using var xIn = SessionInput.Create(ClimberContract.Image, x);
        using var yIn = SessionInput.Create(ClimberContract.Image, y);
        using var xOut = SessionInput.Create(ClimberContract.NextImage, x);
        using var yOut = SessionInput.Create(ClimberContract.NextImage, y);
        using var targetIn = SessionInput.Create(ClimberContract.TargetClass, target);
        using var tauIn = SessionInput.Create(ClimberContract.MaskThreshold, [o.MaskThreshold], []);
        using var xiIn = SessionInput.Create(ClimberContract.StepSize, [o.StepSize], []);
        using var scoresOut = SessionInput.Create(ClimberContract.ClassScores, scores);

        // t = 0: λ = 0 and A_0 = 0, so L is the logit term alone. A_0's map size is not known before this run, so the
        // zeros are [P, 1, 1], which broadcast against A_t in |A_t − A_0| (and are multiplied by λ = 0 anyway).
        var clock0 = Stopwatch.StartNew();
        HostTensor<float> initial;
        float objective0;
        using (var zeros = SessionInput.Create(ClimberContract.InitialMap, HostTensor<float>.Zeros(classes.Length, 1, 1)))
        using (var off = SessionInput.Create(ClimberContract.MaskWeight, [0f], []))
        using (var result = _climber!.Run([xIn, targetIn, zeros, off, tauIn, xiIn], [ClimberContract.MergedMap, ClimberContract.Objective, ClimberContract.NextImage], cancellation))
        {
            initial = result.ToHost<float>(ClimberContract.MergedMap);
            objective0 = result.Span<float>(ClimberContract.Objective)[0];
            result.Span<float>(ClimberContract.NextImage).CopyTo(y.Data);
        }
        var accumulated = Copy(initial);
        trace?.Add(new ClimbingStep(scale, 0, objective0, objective0, 0f, trace.RecordMaps ? Copy(initial) : null, clock0.Elapsed));

        // t = 1 .. T − 2: the regulariser on, outputs written into our pinned buffers.
        var map = HostTensor<float>.Zeros(initial.Shape);
        var objective = new HostTensor<float>([0f]);
        using var initialIn = SessionInput.Create(ClimberContract.InitialMap, initial);
        using var lambdaIn = SessionInput.Create(ClimberContract.MaskWeight, [o.MaskWeight], []);
        using var mapOut = SessionInput.Create(ClimberContract.MergedMap, map);
        using var objectiveOut = SessionInput.Create(ClimberContract.Objective, objective);
        bool atY = true;   // x_t is in y after an odd number of steps
        for (int t = 1; t < steps - 1; t++)
        {
            cancellation.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            _climber.RunInto([atY ? yIn : xIn, targetIn, initialIn, lambdaIn, tauIn, xiIn], [mapOut, objectiveOut, scoresOut, atY ? xOut : yOut], cancellation);
            atY = !atY;
            TensorPrimitives.Add(accumulated.Data, map.Data, accumulated.Data);
            if (trace is not null)
            {
                trace.Add(new ClimbingStep(scale, t, objective.Data[0], (float)ClimbingObjective.LogitTerm(scores.Data, classes),
                    (float)ClimbingObjective.Regulariser(map.Data, initial.Data, classes.Length, o.MaskThreshold), trace.RecordMaps ? Copy(map) : null, clock.Elapsed));
            }
        }

        // t = T − 1: no gradient needed, so the classifier graph (about a third of a climbing step).
        cancellation.ThrowIfCancellationRequested();
        var clockLast = Stopwatch.StartNew();
        var (last, logitsLast) = FinalStep(atY ? yIn : xIn, classes, sharedPair: false, cancellation);
        if (!last.Shape.SequenceEqual(initial.Shape))
        {
            throw new InvalidOperationException(
                $"the classifier's maps are {last} but the climber's are {initial}: the two sessions are not from one model package");
        }
        TensorPrimitives.Add(accumulated.Data, last.Data, accumulated.Data);
        if (trace is not null)
        {
            double regulariser = ClimbingObjective.Regulariser(last.Data, initial.Data, classes.Length, o.MaskThreshold);
            trace.Add(new ClimbingStep(scale, steps - 1, (float)(logitsLast - o.MaskWeight * regulariser), (float)logitsLast, (float)regulariser,
                trace.RecordMaps ? last : null, clockLast.Elapsed));
        }
        return accumulated;
    }

    /// <summary>
    /// The last step through the classifier graph: A_{T−1} [P, h, w] for every class (<see cref="MergedMap"/>, the
    /// climbing graph's formula) and the logit term of L(x_{T−1}). <paramref name="sharedPair"/>: all classes read pair 0.
    /// </summary>
    private (HostTensor<float> Maps, double LogitTerm) FinalStep(SessionInput image, int[] classes, bool sharedPair, CancellationToken cancellation)
    {
        using var result = _classifier.Run([image], [ClassifierContract.ClassMaps, ClassifierContract.PositiveWeights], cancellation);
        var s = result.Span<float>(ClassifierContract.ClassMaps);
        var shape = result.Shape(ClassifierContract.ClassMaps);
        var kPos = result.Span<float>(ClassifierContract.PositiveWeights);
        int total = (int)shape[1], h = (int)shape[2], w = (int)shape[3], plane = h * w;
        var maps = HostTensor<float>.Zeros(classes.Length, h, w);
        double logits = 0;
        for (int k = 0; k < classes.Length; k++)
        {
            int c = classes[k], pair = sharedPair ? 0 : k;
            var pairMaps = s.Slice(2 * pair * total * plane, 2 * total * plane);
            MergedMap.Compute(pairMaps, total, h, w, c, kPos[c]).CopyTo(maps.Data, k * plane);
            logits += ClimbingObjective.LogitTerm(pairMaps, total, plane, c);
        }
        return (maps, logits);
    }

    private int[] CheckClasses(IReadOnlyList<int> classes)
    {
        var seen = new HashSet<int>();
        foreach (int c in classes)
        {
            if (c < 0 || c >= ClassCount)
                throw new ArgumentOutOfRangeException(nameof(classes), c, $"class index {c} is outside the model's foreground classes [0, {ClassCount})");
            if (!seen.Add(c))
                throw new ArgumentException($"class index {c} is given twice; classes must be distinct", nameof(classes));
        }
        return [.. classes];
    }

    private static void RequireSignature(ModelSession session, string role, string[] inputs, string[] outputs)
    {
        var missing = inputs.Where(n => session.Inputs.All(i => i.Name != n)).Select(n => $"input '{n}'")
            .Concat(outputs.Where(n => session.Outputs.All(o => o.Name != n)).Select(n => $"output '{n}'")).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"the {role} session {session.Source} lacks {string.Join(", ", missing)}: is it a model package's {role}.onnx?", role);
    }

    private static HostTensor<float> Copy(HostTensor<float> t) => new((float[])t.Data.Clone(), t.Shape);
}
