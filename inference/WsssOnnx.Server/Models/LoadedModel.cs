using System.Diagnostics;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.Crf;
using WsssOnnx.Attribution.RandomWalk;
using WsssOnnx.Attribution.Segmentation;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Server.Models;

/// <summary>
/// One model package version loaded and warm: its ORT sessions (shared by concurrent requests; ORT's Run is
/// thread-safe), the AdvCAM climber, the segmenter and IRN's boundary network over them; a hot swap replaces them all. Requests hold a <see cref="ModelLease"/>; after
/// <see cref="Retire"/> no new lease is granted and <see cref="Drained"/> completes when the last one is returned.
/// </summary>
public sealed class LoadedModel : IDisposable
{
    private readonly ModelSession _classifier;
    private readonly ModelSession? _climber;
    private readonly ModelSession? _segmenter;
    private readonly AdvCamClimber _advCam;
    private readonly SegmentationPredictor? _segmentation;
    private readonly ModelSession? _boundary;
    private readonly BoundaryPredictor? _boundaryPredictor;
    private readonly RandomWalkOptions? _randomWalk;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _leases;
    private int _retired;
    private long _served;

    private LoadedModel(ModelPackage package, ModelSession classifier, ModelSession? climber, ModelSession? segmenter, ModelSession? boundary)
    {
        Package = package;
        _classifier = classifier;
        _climber = climber;
        _segmenter = segmenter;
        Normalization = ManifestAttribution.Normalization(package.Manifest);
        _advCam = new AdvCamClimber(classifier, climber, Normalization);
        if (segmenter is not null) _segmentation = new SegmentationPredictor(segmenter, Normalization);
        _boundary = boundary;
        if (boundary is not null)
        {
            _boundaryPredictor = new BoundaryPredictor(boundary, Normalization);
            _randomWalk = BoundaryPredictor.Options(package.Manifest);
        }
        Defaults = ManifestAttribution.Options(package.Manifest, climb: true);
        LoadedAt = DateTimeOffset.UtcNow;
    }

    public ModelPackage Package { get; }

    public string Name => Package.Manifest.Name;

    public string Version => Package.Manifest.Version;

    /// <summary>Labels: index 0 background, k the classifier's channel k - 1.</summary>
    public IReadOnlyList<string> Classes => Package.Manifest.Classes;

    public ImageNormalization Normalization { get; }

    /// <summary>The package's AdvCAM defaults (its manifest), validated.</summary>
    public AdvCamOptions Defaults { get; }

    /// <summary>The package's seed background threshold for maps made with <paramref name="options"/> (CAM's or AdvCAM's).</summary>
    public float DefaultBackgroundThreshold(AdvCamOptions options) => ManifestAttribution.BackgroundThreshold(Package.Manifest, options);

    public string ExecutionProvider => _classifier.Provider.Name;

    public bool CanClimb => _climber is not null;

    public bool CanSegment => _segmentation is not null;

    /// <summary>The package has IRN's boundary network, so it can make random-walk labels.</summary>
    public bool CanRandomWalk => _boundaryPredictor is not null;

    public DateTimeOffset LoadedAt { get; }

    public int InFlight => Volatile.Read(ref _leases);

    public long Served => Interlocked.Read(ref _served);

    public bool IsRetired => Volatile.Read(ref _retired) != 0;

    /// <summary>Completes once the model is retired and every lease has been returned.</summary>
    public Task Drained => _drained.Task;

    /// <summary>
    /// Verifies and loads <paramref name="directory"/>'s networks, then warms them with one real pass each on an image of
    /// the training size (segmenter, CAM, a two-step climb and the boundary network), so the first request does not pay ORT's lazy set-up.
    /// </summary>
    /// <exception cref="ModelLoadException">A network does not load or the warm-up fails.</exception>
    /// <exception cref="InvalidDataException">The package is damaged (manifest, hashes) or its manifest does not match its networks (<see cref="PackageContract"/>).</exception>
    public static LoadedModel Load(string directory, SessionConfig config, CancellationToken cancellation = default)
    {
        var package = ModelPackage.Open(directory);
        config = config with { WarmUp = false };
        var sessions = new List<ModelSession>();
        try
        {
            ModelSession Open(string role)
            {
                cancellation.ThrowIfCancellationRequested();
                var session = ModelSession.Load(package.PathOf(role), config);
                sessions.Add(session);
                return session;
            }

            var classifier = Open(PackageRoles.Classifier);
            var climber = package.Has(PackageRoles.Climber) ? Open(PackageRoles.Climber) : null;
            var segmenter = package.Has(PackageRoles.Segmenter) ? Open(PackageRoles.Segmenter) : null;
            var boundary = package.Has(PackageRoles.Boundary) ? Open(PackageRoles.Boundary) : null;
            PackageContract.Check(package, classifier, climber, segmenter, boundary);
            var model = new LoadedModel(package, classifier, climber, segmenter, boundary);
            model.WarmUp(cancellation);
            return model;
        }
        catch
        {
            foreach (var session in sessions) session.Dispose();
            throw;
        }
    }

    private void WarmUp(CancellationToken cancellation)
    {
        int side = Math.Clamp(Package.Manifest.Networks.TrainingSize, 32, 512);
        var image = new RgbImage(side, side);
        new Random(side).NextBytes(image.Pixels);
        var clock = Stopwatch.StartNew();
        _segmentation?.Predict(image, cancellation);
        var cam = Defaults with { Steps = 1 };
        _advCam.Climb(image, [0], cam, cancellation: cancellation);
        if (CanClimb) _advCam.Climb(image, [0], Defaults with { Steps = 2 }, cancellation: cancellation);
        _boundaryPredictor?.Predict(image, cancellation);
        WarmUpTime = clock.Elapsed;
    }

    public TimeSpan WarmUpTime { get; private set; }

    /// <summary>A lease on this model, or null if it is retired (the caller then reads the registry again).</summary>
    public ModelLease? TryAcquire()
    {
        Interlocked.Increment(ref _leases);
        if (Volatile.Read(ref _retired) != 0)
        {
            Release();
            return null;
        }
        Interlocked.Increment(ref _served);
        return new ModelLease(this);
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && Volatile.Read(ref _retired) != 0) _drained.TrySetResult();
    }

    /// <summary>Stops granting leases; <see cref="Drained"/> completes when the last one is returned.</summary>
    public void Retire()
    {
        // Exchange is a full fence: a TryAcquire that incremented before it sees the flag or is counted below.
        Interlocked.Exchange(ref _retired, 1);
        if (Volatile.Read(ref _leases) == 0) _drained.TrySetResult();
    }

    /// <summary>Foreground class indices (0-based, the climber's) of <paramref name="names"/>, case-insensitive, distinct, in order.</summary>
    /// <exception cref="UnknownClassException">A name is not one of this model's foreground classes.</exception>
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
            if (label < 0) throw new UnknownClassException(name, this);
            if (!indices.Contains(label - 1)) indices.Add(label - 1);
        }
        return indices;
    }

    /// <summary>CAM (options.Steps = 1) or AdvCAM maps of <paramref name="classes"/>.</summary>
    public ClassMaps Attribute(RgbImage image, IReadOnlyList<int> classes, AdvCamOptions options, CancellationToken cancellation) =>
        _advCam.Climb(image, classes, options, cancellation: cancellation);

    /// <summary>The segmenter's label map at the image's size.</summary>
    /// <exception cref="InvalidOperationException">The package has no segmenter.</exception>
    public GrayImage Segment(RgbImage image, CancellationToken cancellation) =>
        (_segmentation ?? throw new InvalidOperationException($"the package {Name}/{Version} has no segmenter")).Predict(image, cancellation);

    /// <summary>IRN's random-walk labels (0 background, class k as k + 1): <paramref name="maps"/> walked over the boundary map of <paramref name="image"/>.</summary>
    /// <exception cref="InvalidOperationException">The package has no boundary network.</exception>
    public GrayImage RandomWalk(RgbImage image, ClassMaps maps, CancellationToken cancellation) =>
        (_boundaryPredictor ?? throw new InvalidOperationException($"the package {Name}/{Version} has no boundary network")).Labels(image, maps, _randomWalk!, cancellation);

    /// <summary>Seeds: argmax over the maps with a constant background score (IRN's cam_to_label).</summary>
    public static GrayImage Seeds(ClassMaps maps, float backgroundThreshold) => WsssOnnx.Attribution.Cam.Seeds.FromMaps(maps, backgroundThreshold);

    /// <summary>Seeds refined by dense CRF over background and the maps' classes (IRN's crf_inference_label with its keys).</summary>
    public static GrayImage RefineByCrf(RgbImage image, ClassMaps maps, float backgroundThreshold, CancellationToken cancellation) =>
        ConfidentLabels.RefinedSeeds(image, maps, backgroundThreshold, new DenseCrf(), cancellation);

    /// <summary>IRN's confident labels (255 where the foreground and background passes disagree).</summary>
    public static GrayImage Confident(RgbImage image, ClassMaps maps, ConfidentLabelOptions options, CancellationToken cancellation) =>
        ConfidentLabels.FromMaps(image, maps, new DenseCrf(), options, cancellation);

    public void Dispose()
    {
        _boundary?.Dispose();
        _segmenter?.Dispose();
        _climber?.Dispose();
        _classifier.Dispose();
    }
}

/// <summary>A request's hold on a <see cref="LoadedModel"/>; the model is not disposed while a lease is out.</summary>
public sealed class ModelLease : IDisposable
{
    private LoadedModel? _model;

    internal ModelLease(LoadedModel model) => _model = model;

    public LoadedModel Model => _model ?? throw new ObjectDisposedException(nameof(ModelLease));

    public void Dispose() => Interlocked.Exchange(ref _model, null)?.Release();
}

/// <summary>A class name the model does not know.</summary>
public sealed class UnknownClassException(string name, LoadedModel model)
    : Exception($"unknown class \"{ClientText.Truncate(name)}\"; {model.Name}/{model.Version} knows {string.Join(", ", model.Classes.Skip(1))}")
{
    public string ClassName { get; } = name;
}
