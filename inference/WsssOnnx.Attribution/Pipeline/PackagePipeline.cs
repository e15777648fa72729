using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.Crf;
using WsssOnnx.Attribution.Fickle;
using WsssOnnx.Attribution.RandomWalk;
using WsssOnnx.Attribution.Segmentation;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Attribution.Pipeline;

/// <summary>
/// One model package as the CLI, the service and the trainer label with it: its manifest and ORT sessions (shared by
/// concurrent callers; ORT's Run is thread-safe), class names resolved against its classes, CAM or AdvCAM maps at the
/// manifest's scales and normalisation, and each kind of label map (<see cref="PseudoLabelKind"/>) from them.
/// Parameters are the manifest's defaults with a caller's <see cref="LabelOverrides"/>, validated in <see cref="Parameters"/>.
/// </summary>
public sealed class PackagePipeline : IDisposable
{
    private readonly ModelSession _classifier;
    private readonly ModelSession? _climber;
    private readonly ModelSession? _segmenter;
    private readonly ModelSession? _boundary;
    private readonly ModelSession? _fickle;
    private readonly FickleNetAttribution? _fickleNet;
    private readonly AdvCamClimber _advCam;
    private readonly SegmentationPredictor? _segmentation;
    private readonly BoundaryPredictor? _boundaryPredictor;

    private PackagePipeline(ModelPackage package, ModelSession classifier, ModelSession? climber, ModelSession? segmenter, ModelSession? boundary, ModelSession? fickle)
    {
        Package = package;
        _classifier = classifier;
        _climber = climber;
        _segmenter = segmenter;
        _boundary = boundary;
        Normalization = ManifestAttribution.Normalization(package.Manifest);
        Defaults = ManifestAttribution.Options(package.Manifest, climb: true);
        _advCam = new AdvCamClimber(classifier, climber, Normalization);
        if (segmenter is not null) _segmentation = new SegmentationPredictor(segmenter, Normalization);
        if (boundary is not null) _boundaryPredictor = new BoundaryPredictor(boundary, Normalization);
        _fickle = fickle;
        if (fickle is not null) _fickleNet = new FickleNetAttribution(classifier, fickle, Normalization);
        FickleNetDefaults = FickleNetDefaultsOf(package);
    }

    public ModelPackage Package { get; }

    /// <summary>The package as name/version.</summary>
    public string Title => $"{Package.Manifest.Name}/{Package.Manifest.Version}";

    /// <summary>Labels: index 0 background, k the classifier's channel k - 1.</summary>
    public IReadOnlyList<string> Classes => Package.Manifest.Classes;

    /// <summary>Foreground class names; index k here is class k of the climber and label k + 1 in a label map.</summary>
    public IReadOnlyList<string> ForegroundClasses => [.. Package.Manifest.Classes.Skip(1)];

    /// <summary>The input normalisation of every network (the manifest's).</summary>
    public ImageNormalization Normalization { get; }

    /// <summary>The package's AdvCAM defaults (its manifest), validated.</summary>
    public AdvCamOptions Defaults { get; }

    /// <summary>The package's FickleNet defaults (its manifest's, else the paper's), validated.</summary>
    public FickleNetOptions FickleNetDefaults { get; }

    public string ExecutionProvider => _classifier.Provider.Name;

    public bool CanClimb => _climber is not null;

    public bool CanSegment => _segmentation is not null;

    /// <summary>The boundary network is loaded, so the pipeline can make random-walk labels.</summary>
    public bool CanRandomWalk => _boundaryPredictor is not null;

    /// <summary>The fickle network is loaded, so the pipeline can make FickleNet maps.</summary>
    public bool CanFickle => _fickleNet is not null;

    /// <summary>
    /// Opens and verifies <paramref name="directory"/> (manifest, hashes), loads the classifier and those of
    /// <paramref name="networks"/> the package has, and checks them against the manifest (<see cref="PackageContract"/>).
    /// </summary>
    /// <param name="sessions">ORT session settings; null: ORT's defaults without a warm-up run.</param>
    /// <exception cref="InvalidDataException">The package is damaged, its AdvCAM defaults are out of range or its manifest does not match its networks.</exception>
    /// <exception cref="ModelLoadException">A network does not load.</exception>
    public static PackagePipeline Open(string directory, PipelineNetworks networks = PipelineNetworks.All, SessionConfig? sessions = null,
        CancellationToken cancellation = default) =>
        Open(ModelPackage.Open(directory), networks, sessions, cancellation);

    /// <summary>A package already opened (export measures its staging folder before the manifest is written).</summary>
    public static PackagePipeline Open(ModelPackage package, PipelineNetworks networks = PipelineNetworks.All, SessionConfig? sessions = null,
        CancellationToken cancellation = default)
    {
        try
        {
            ManifestAttribution.Options(package.Manifest, climb: true);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"{package.Directory}: manifest.json's AdvCAM defaults are out of range: {FirstSentence(e.Message)}", e);
        }
        try
        {
            FickleNetDefaultsOf(package);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"{package.Directory}: manifest.json's FickleNet defaults are out of range: {FirstSentence(e.Message)}", e);
        }
        var config = sessions ?? new SessionConfig { WarmUp = false };
        var loaded = new List<ModelSession>();
        try
        {
            ModelSession? Load(string role, bool wanted)
            {
                if (!wanted || !package.Has(role)) return null;
                cancellation.ThrowIfCancellationRequested();
                var session = ModelSession.Load(package.PathOf(role), config);
                loaded.Add(session);
                return session;
            }

            var classifier = Load(PackageRoles.Classifier, wanted: true)!;
            var climber = Load(PackageRoles.Climber, networks.HasFlag(PipelineNetworks.Climber));
            var segmenter = Load(PackageRoles.Segmenter, networks.HasFlag(PipelineNetworks.Segmenter));
            var boundary = Load(PackageRoles.Boundary, networks.HasFlag(PipelineNetworks.Boundary));
            var fickle = Load(PackageRoles.Fickle, networks.HasFlag(PipelineNetworks.Fickle));
            PackageContract.Check(package, classifier, climber, segmenter, boundary, fickle);
            return new PackagePipeline(package, classifier, climber, segmenter, boundary, fickle);
        }
        catch
        {
            foreach (var session in loaded) session.Dispose();
            throw;
        }
    }

    /// <summary>Foreground class indices (0-based, the climber's) of <paramref name="names"/>, trimmed, case-insensitive, distinct, in order.</summary>
    /// <exception cref="UnknownClassException">A name is not one of the package's foreground classes.</exception>
    public IReadOnlyList<int> ResolveClasses(IEnumerable<string> names)
    {
        var indices = new List<int>();
        foreach (string raw in names)
        {
            string name = raw.Trim();
            int label = -1;
            for (int k = 1; k < Classes.Count; k++)
            {
                if (string.Equals(Classes[k], name, StringComparison.OrdinalIgnoreCase)) { label = k; break; }
            }
            if (label < 0) throw new UnknownClassException(name, Title, ForegroundClasses);
            if (!indices.Contains(label - 1)) indices.Add(label - 1);
        }
        return indices;
    }

    /// <summary>
    /// The manifest's defaults for <paramref name="method"/> with <paramref name="overrides"/> applied and validated, for
    /// making the label maps of <paramref name="kinds"/>. CAM is the same scales with T = 1; an unset seed threshold is
    /// the manifest's for the method; unset confident thresholds follow the seed threshold (IRN's 0.30 and 0.05 at 0.15).
    /// </summary>
    /// <exception cref="LabelParameterException">A parameter is outside its range (the first one found).</exception>
    /// <exception cref="MissingNetworkException">AdvCAM without a climber, FickleNet without a fickle network, random-walk labels without a boundary network.</exception>
    /// <exception cref="LocaliserMismatchException">ACoL on a package whose classifier was not trained with ACoL.</exception>
    public LabelParameters Parameters(MapMethod method, LabelOverrides? overrides = null, IEnumerable<PseudoLabelKind>? kinds = null)
    {
        var o = overrides ?? LabelOverrides.None;
        string localiser = Package.Manifest.Localiser.Kind;
        if (method == MapMethod.Acol && localiser != ClassifierLocaliser.Acol) throw new LocaliserMismatchException(ClassifierLocaliser.Acol, localiser, Title);
        var maps = Defaults with
        {
            // CAM, ACoL (CAM of an ACoL package) and FickleNet do not climb: T = 1.
            Steps = method == MapMethod.AdvCam ? o.Steps ?? Defaults.Steps : 1,
            StepSize = o.StepSize ?? Defaults.StepSize,
            MaskWeight = o.MaskWeight ?? Defaults.MaskWeight,
            MaskThreshold = o.MaskThreshold ?? Defaults.MaskThreshold,
            Scales = o.Scales is { Count: > 0 } scales ? [.. scales] : Defaults.Scales,
            MaxSide = o.MaxSide ?? Defaults.MaxSide,
        };
        maps = Validated(maps);
        if (maps.Steps > 1 && !Package.Has(PackageRoles.Climber)) throw Missing(PackageRoles.Climber);
        FickleNetOptions? fickle = null;
        if (method == MapMethod.FickleNet)
        {
            fickle = Validated(FickleNetDefaults with
            {
                DropRate = o.DropRate ?? FickleNetDefaults.DropRate,
                Samples = o.Samples ?? FickleNetDefaults.Samples,
                Seed = o.FickleNetSeed ?? FickleNetDefaults.Seed,
            });
            if (!Package.Has(PackageRoles.Fickle)) throw Missing(PackageRoles.Fickle);
        }

        float bg = o.BackgroundThreshold ?? ManifestAttribution.BackgroundThreshold(Package.Manifest, maps);
        if (!(bg is >= 0f and <= 1f)) throw new LabelParameterException(LabelParameter.BackgroundThreshold, $"the seed background threshold must be in [0, 1]; got {bg}");
        var confident = ConfidentLabelOptions.ForSeedThreshold(bg, o.ConfidentForeground, o.ConfidentBackground);
        try
        {
            confident.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            var parameter = e.ParamName == nameof(ConfidentLabelOptions.ForegroundThreshold) ? LabelParameter.ConfidentForeground : LabelParameter.ConfidentBackground;
            throw new LabelParameterException(parameter, FirstSentence(e.Message), e);
        }

        bool walk = kinds?.Contains(PseudoLabelKind.RandomWalk) == true;
        if (walk && !Package.Has(PackageRoles.Boundary)) throw Missing(PackageRoles.Boundary);
        var randomWalk = Package.Has(PackageRoles.Boundary) ? BoundaryPredictor.Options(Package.Manifest) : null;
        return new LabelParameters(method, maps, bg, confident, randomWalk, fickle);
    }

    /// <summary><paramref name="options"/> validated; a field outside its range is a <see cref="LabelParameterException"/>.</summary>
    public static AdvCamOptions Validated(AdvCamOptions options)
    {
        try
        {
            return options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            var parameter = e.ParamName switch
            {
                nameof(AdvCamOptions.Steps) => LabelParameter.Steps,
                nameof(AdvCamOptions.StepSize) => LabelParameter.StepSize,
                nameof(AdvCamOptions.MaskWeight) => LabelParameter.MaskWeight,
                nameof(AdvCamOptions.MaskThreshold) => LabelParameter.MaskThreshold,
                nameof(AdvCamOptions.Scales) => LabelParameter.Scales,
                nameof(AdvCamOptions.PairsPerCall) => LabelParameter.PairsPerCall,
                _ => LabelParameter.MaxSide,
            };
            throw new LabelParameterException(parameter, FirstSentence(e.Message), e);
        }
    }

    /// <summary>CAM (T = 1), AdvCAM or FickleNet maps of <paramref name="classes"/> (foreground indices) on <paramref name="image"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The image is over the maps' MaxSide (ParamName "image").</exception>
    public ClassMaps Maps(RgbImage image, IReadOnlyList<int> classes, LabelParameters parameters, CancellationToken cancellation = default)
    {
        if (parameters.Method != MapMethod.FickleNet) return Maps(image, classes, parameters.Maps, trace: null, cancellation);
        if (_fickleNet is null) throw Package.Has(PackageRoles.Fickle) ? NotLoaded(PackageRoles.Fickle) : Missing(PackageRoles.Fickle);
        return _fickleNet.Maps(image, classes, parameters.Maps, parameters.FickleNet ?? FickleNetDefaults, cancellation);
    }

    /// <summary><paramref name="options"/> validated; a field outside its range is a <see cref="LabelParameterException"/>.</summary>
    public static FickleNetOptions Validated(FickleNetOptions options)
    {
        try
        {
            return options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            var parameter = e.ParamName == nameof(FickleNetOptions.DropRate) ? LabelParameter.DropRate : LabelParameter.Samples;
            throw new LabelParameterException(parameter, FirstSentence(e.Message), e);
        }
    }

    private static FickleNetOptions FickleNetDefaultsOf(ModelPackage package) =>
        package.Manifest.FickleNet is { } defaults ? FickleNetOptions.FromDefaults(defaults) : new FickleNetOptions();

    /// <summary>Maps with options of the caller's own (benchmarks, warm-up), optionally traced.</summary>
    public ClassMaps Maps(RgbImage image, IReadOnlyList<int> classes, AdvCamOptions options, ClimbingTrace? trace, CancellationToken cancellation = default)
    {
        if (options.Steps > 1 && !CanClimb)
            throw Package.Has(PackageRoles.Climber) ? NotLoaded(PackageRoles.Climber) : Missing(PackageRoles.Climber);
        return _advCam.Climb(image, classes, options, trace, cancellation);
    }

    /// <summary>The classifier's logits of <paramref name="image"/> (image-level class scores, foreground classes in order).</summary>
    public float[] Logits(RgbImage image, CancellationToken cancellation = default)
    {
        using var input = SessionInput.Create(ClassifierContract.Image, ImageTensor.FromRgb(image, Normalization));
        using var result = _classifier.Run([input], [ClassifierContract.Logits], cancellation);
        return result.Span<float>(ClassifierContract.Logits).ToArray();
    }

    /// <summary>The label map of <paramref name="kind"/> from maps of <paramref name="image"/> made with <paramref name="parameters"/>.</summary>
    public GrayImage Labels(PseudoLabelKind kind, RgbImage image, ClassMaps maps, LabelParameters parameters, CancellationToken cancellation = default) => kind switch
    {
        PseudoLabelKind.Seeds => Seeds(maps, parameters.BackgroundThreshold),
        PseudoLabelKind.Crf => CrfSeeds(image, maps, parameters.BackgroundThreshold, cancellation),
        PseudoLabelKind.Confident => ConfidentLabels.FromMaps(image, maps, new DenseCrf(), parameters.Confident, cancellation),
        PseudoLabelKind.RandomWalk => RandomWalkLabels(image, maps, parameters, cancellation),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a label kind"),
    };

    /// <summary>Seeds (0 background, class k as k + 1): argmax over the maps with a constant background score (IRN's cam_to_label).</summary>
    public static GrayImage Seeds(ClassMaps maps, float backgroundThreshold) => WsssOnnx.Attribution.Cam.Seeds.FromMaps(maps, backgroundThreshold);

    /// <summary>Seeds refined by dense CRF over background and the maps' classes (IRN's crf_inference_label with its keys).</summary>
    public static GrayImage CrfSeeds(RgbImage image, ClassMaps maps, float backgroundThreshold, CancellationToken cancellation = default) =>
        ConfidentLabels.RefinedSeeds(image, maps, backgroundThreshold, new DenseCrf(), cancellation);

    private GrayImage RandomWalkLabels(RgbImage image, ClassMaps maps, LabelParameters parameters, CancellationToken cancellation)
    {
        if (_boundaryPredictor is null || parameters.RandomWalk is null)
            throw Package.Has(PackageRoles.Boundary) ? NotLoaded(PackageRoles.Boundary) : Missing(PackageRoles.Boundary);
        return _boundaryPredictor.Labels(image, maps, parameters.RandomWalk, cancellation);
    }

    /// <summary>IRN's boundary map B of <paramref name="image"/> on the stride-4 grid (warm-up).</summary>
    public HostTensor<float> Boundary(RgbImage image, CancellationToken cancellation = default) =>
        (_boundaryPredictor ?? throw (Package.Has(PackageRoles.Boundary) ? NotLoaded(PackageRoles.Boundary) : Missing(PackageRoles.Boundary))).Predict(image, cancellation);

    /// <summary>The segmenter's label map at the image's size.</summary>
    /// <exception cref="MissingNetworkException">The package has no segmenter.</exception>
    public GrayImage Segment(RgbImage image, CancellationToken cancellation = default) =>
        (_segmentation ?? throw (Package.Has(PackageRoles.Segmenter) ? NotLoaded(PackageRoles.Segmenter) : Missing(PackageRoles.Segmenter))).Predict(image, cancellation);

    private MissingNetworkException Missing(string role) => new(role, Title, Package.Directory);

    private InvalidOperationException NotLoaded(string role) =>
        new($"this pipeline of {Title} was opened without its {PackageRoles.FileName(role)}; open it with {nameof(PipelineNetworks)}.{role}");

    // ArgumentException appends " (Parameter 'x')" and "Actual value was ..." lines; the first sentence is the message.
    internal static string FirstSentence(string message)
    {
        int end = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (end < 0) end = message.IndexOf('\n');
        return end < 0 ? message : message[..end];
    }

    public void Dispose()
    {
        _fickle?.Dispose();
        _boundary?.Dispose();
        _segmenter?.Dispose();
        _climber?.Dispose();
        _classifier.Dispose();
    }
}
