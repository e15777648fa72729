using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.Crf;
using WsssOnnx.Attribution.RandomWalk;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Cli;

/// <summary>
/// One model package's attribution pipeline as the CLI runs it: class maps (CAM or AdvCAM), seeds at a background
/// threshold, optionally refined by dense CRF. The sessions are ORT sessions, safe to share between threads.
/// </summary>
internal sealed class PackageAttribution : IDisposable
{
    private readonly ModelSession _classifier;
    private readonly ModelSession? _climber;
    private readonly AdvCamClimber _advCam;
    private readonly ModelSession? _boundary;
    private readonly BoundaryPredictor? _boundaryPredictor;
    private readonly RandomWalkOptions? _randomWalk;
    private readonly DenseCrf _crf = new();

    private PackageAttribution(ModelPackage package, ModelSession classifier, ModelSession? climber, ModelSession? boundary, AdvCamOptions options, float threshold, LabelMode mode,
        ConfidentLabelOptions confident)
    {
        Package = package;
        _classifier = classifier;
        _climber = climber;
        _boundary = boundary;
        if (boundary is not null)
        {
            _boundaryPredictor = new BoundaryPredictor(boundary, ManifestAttribution.Normalization(package.Manifest));
            _randomWalk = BoundaryPredictor.Options(package.Manifest);
        }
        _advCam = new AdvCamClimber(classifier, climber, ManifestAttribution.Normalization(package.Manifest));
        Options = options;
        BackgroundThreshold = threshold;
        Mode = mode;
        Confident = confident;
    }

    public ModelPackage Package { get; }

    /// <summary>Foreground class names; index k here is class k of the climber and label k + 1 in a label map.</summary>
    public IReadOnlyList<string> ForegroundClasses => [.. Package.Manifest.Classes.Skip(1)];

    public AdvCamOptions Options { get; }

    public float BackgroundThreshold { get; }

    /// <summary>The label map <see cref="Labels"/> makes.</summary>
    public LabelMode Mode { get; }

    /// <summary>The two thresholds of confident labels.</summary>
    public ConfidentLabelOptions Confident { get; }

    /// <summary>Opens and verifies <paramref name="directory"/> and loads the sessions <paramref name="method"/> needs.</summary>
    /// <param name="steps">AdvCAM's T; null keeps the package's default. Ignored for CAM (T = 1).</param>
    /// <param name="threshold">Seed background threshold; null keeps the package's for the maps made (CAM's or AdvCAM's).</param>
    /// <param name="mode">The label map <see cref="Labels"/> makes.</param>
    /// <param name="confident">Thresholds of confident labels; null or unset ones follow the seed threshold (IRN's 0.30 and 0.05 at 0.15).</param>
    /// <param name="sessions">ORT session settings (threads); null: ORT's defaults, no warm-up run.</param>
    /// <param name="stepSize">AdvCAM's xi; null keeps the package's default.</param>
    /// <param name="maskWeight">AdvCAM's lambda; null keeps the package's default.</param>
    public static PackageAttribution Open(string directory, AttributionMethod method, int? steps, float? threshold, LabelMode mode,
        ConfidentChoice? confidentChoice = null, SessionConfig? sessions = null, float? stepSize = null, float? maskWeight = null)
    {
        ModelPackage package;
        try
        {
            package = ModelPackage.Open(directory);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException(e.Message, e);
        }
        AdvCamOptions options;
        try
        {
            options = ManifestAttribution.Options(package.Manifest, climb: method == AttributionMethod.AdvCam);
            if (method == AttributionMethod.AdvCam)
            {
                options = options with
                {
                    Steps = steps ?? options.Steps,
                    StepSize = stepSize ?? options.StepSize,
                    MaskWeight = maskWeight ?? options.MaskWeight,
                };
            }
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new UsageException($"invalid AdvCAM option: {e.Message}", e);
        }
        float bg = threshold ?? ManifestAttribution.BackgroundThreshold(package.Manifest, options);
        if (!(bg is >= 0f and <= 1f)) throw new UsageException($"--threshold must be in [0, 1]; got {bg}.");
        var confident = (confidentChoice ?? new ConfidentChoice(null, null)).Resolve(bg);
        try
        {
            confident.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new UsageException($"invalid confident-label threshold (--fg-threshold, --bg-threshold): {e.Message}", e);
        }
        if (options.Steps > 1 && !package.Has(PackageRoles.Climber))
            throw new CommandFailedException($"AdvCAM needs the package's climber.onnx, which {directory} does not have; use --method cam.");
        if (mode == LabelMode.Rw && !package.Has(PackageRoles.Boundary))
            throw new CommandFailedException($"random-walk labels need the package's boundary network (boundary.onnx), which {directory} does not have; " +
                "train one with `wsss-train train-irn` and export with --irn-run, or choose another --mode.");

        var config = sessions ?? new SessionConfig { WarmUp = false };
        var classifier = ModelSession.Load(package.PathOf(PackageRoles.Classifier), config);
        ModelSession? climber = null, boundary = null;
        try
        {
            if (options.Steps > 1) climber = ModelSession.Load(package.PathOf(PackageRoles.Climber), config);
            if (mode == LabelMode.Rw) boundary = ModelSession.Load(package.PathOf(PackageRoles.Boundary), config);
            return new PackageAttribution(package, classifier, climber, boundary, options, bg, mode, confident);
        }
        catch
        {
            boundary?.Dispose();
            climber?.Dispose();
            classifier.Dispose();
            throw;
        }
    }

    /// <summary>Foreground indices of <paramref name="names"/> (case-insensitive, distinct, in the given order).</summary>
    /// <exception cref="CommandFailedException">A name is not one of the package's foreground classes.</exception>
    public IReadOnlyList<int> ResolveClasses(IEnumerable<string> names)
    {
        var foreground = ForegroundClasses;
        var indices = new List<int>();
        foreach (string raw in names)
        {
            string name = raw.Trim();
            if (name.Length == 0) continue;
            int k = -1;
            for (int i = 0; i < foreground.Count; i++)
            {
                if (string.Equals(foreground[i], name, StringComparison.OrdinalIgnoreCase)) { k = i; break; }
            }
            if (k < 0)
                throw new CommandFailedException($"unknown class \"{name}\"; the package {Package.Manifest.Name}/{Package.Manifest.Version} knows {string.Join(", ", foreground)}.");
            if (!indices.Contains(k)) indices.Add(k);
        }
        return indices;
    }

    /// <summary>Decodes an image file, failing with one sentence when it cannot be read or is over the size limit.</summary>
    public RgbImage ReadImage(string path)
    {
        var file = new FileInfo(path);
        var image = ImageFile.Decode(ImageFile.ReadBytes(file), file);
        if (Math.Max(image.Width, image.Height) > Options.MaxSide)
            throw new CommandFailedException($"{path} is {image.Width}x{image.Height}; its long side must be at most {Options.MaxSide} pixels.");
        return image;
    }

    /// <summary>Class maps of <paramref name="classes"/> (foreground indices) on <paramref name="image"/>.</summary>
    public ClassMaps Maps(RgbImage image, IReadOnlyList<int> classes, CancellationToken cancellation = default) =>
        _advCam.Climb(image, classes, Options, cancellation: cancellation);

    /// <summary>Class maps with other options than the package's (benchmarks), optionally traced.</summary>
    public ClassMaps Maps(RgbImage image, IReadOnlyList<int> classes, AdvCamOptions options, ClimbingTrace? trace) =>
        _advCam.Climb(image, classes, options, trace);

    /// <summary>Seed labels (0 background, class k as k + 1) from <paramref name="maps"/>.</summary>
    public GrayImage Seeds(ClassMaps maps) => Seeds(maps, BackgroundThreshold);

    /// <summary>Seed labels at a background threshold other than this pipeline's (threshold sweeps).</summary>
    public static GrayImage Seeds(ClassMaps maps, float threshold) => WsssOnnx.Attribution.Cam.Seeds.FromMaps(maps, threshold);

    /// <summary>Seeds refined by dense CRF over background and the maps' classes (IRN's keys), not all of the package's labels.</summary>
    public GrayImage Refine(RgbImage image, ClassMaps maps) => WsssOnnx.Attribution.Cam.ConfidentLabels.RefinedSeeds(image, maps, BackgroundThreshold, _crf);

    /// <summary>IRN's confident labels (0 background, class k as k + 1, 255 unsure) from <paramref name="maps"/>.</summary>
    public GrayImage ConfidentLabels(RgbImage image, ClassMaps maps) => WsssOnnx.Attribution.Cam.ConfidentLabels.FromMaps(image, maps, _crf, Confident);

    /// <summary>IRN's random-walk labels (0 background, class k as k + 1) from <paramref name="maps"/> and the package's boundary network.</summary>
    public GrayImage RandomWalkLabels(RgbImage image, ClassMaps maps, CancellationToken cancellation = default) =>
        _boundaryPredictor is null
            ? throw new InvalidOperationException("this pipeline was opened without the boundary network; open it with the random-walk mode")
            : _boundaryPredictor.Labels(image, maps, _randomWalk!, cancellation);

    /// <summary>The label map relabel writes, as <see cref="Mode"/> says, from maps already made.</summary>
    public GrayImage Labels(RgbImage image, ClassMaps maps) => Mode switch
    {
        LabelMode.Seeds => Seeds(maps),
        LabelMode.Crf => Refine(image, maps),
        LabelMode.Rw => RandomWalkLabels(image, maps),
        _ => ConfidentLabels(image, maps),
    };

    public void Dispose()
    {
        _boundary?.Dispose();
        _climber?.Dispose();
        _classifier.Dispose();
    }
}
