using System.Diagnostics;
using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Server.Models;

/// <summary>
/// One model package version loaded and warm for the service: its <see cref="PackagePipeline"/> (every network the package
/// has; the ORT sessions are shared by concurrent requests), which a hot swap replaces whole. Requests hold a <see cref="ModelLease"/>;
/// after <see cref="Retire"/> no new lease is granted and <see cref="Drained"/> completes when the last one is returned.
/// </summary>
public sealed class LoadedModel : IDisposable
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _leases;
    private int _retired;
    private long _served;

    private LoadedModel(PackagePipeline pipeline)
    {
        Pipeline = pipeline;
        LoadedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>The package's networks and labelling: classes, parameters, maps, labels, segmentation.</summary>
    public PackagePipeline Pipeline { get; }

    public ModelPackage Package => Pipeline.Package;

    public string Name => Package.Manifest.Name;

    public string Version => Package.Manifest.Version;

    /// <summary>Labels: index 0 background, k the classifier's channel k - 1.</summary>
    public IReadOnlyList<string> Classes => Pipeline.Classes;

    public string ExecutionProvider => Pipeline.ExecutionProvider;

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
    /// <exception cref="InvalidDataException">The package is damaged (manifest, hashes) or its manifest does not match its networks.</exception>
    public static LoadedModel Load(string directory, SessionConfig config, CancellationToken cancellation = default)
    {
        var pipeline = PackagePipeline.Open(directory, PipelineNetworks.All, config with { WarmUp = false }, cancellation);
        try
        {
            var model = new LoadedModel(pipeline);
            model.WarmUp(cancellation);
            return model;
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
    }

    private void WarmUp(CancellationToken cancellation)
    {
        int side = Math.Clamp(Package.Manifest.Networks.TrainingSize, 32, 512);
        var image = new RgbImage(side, side);
        new Random(side).NextBytes(image.Pixels);
        var clock = Stopwatch.StartNew();
        if (Pipeline.CanSegment) Pipeline.Segment(image, cancellation);
        Pipeline.Maps(image, [0], Pipeline.Defaults with { Steps = 1 }, trace: null, cancellation);
        if (Pipeline.CanClimb) Pipeline.Maps(image, [0], Pipeline.Defaults with { Steps = 2 }, trace: null, cancellation);
        if (Pipeline.CanRandomWalk) Pipeline.Boundary(image, cancellation);
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

    public void Dispose() => Pipeline.Dispose();
}

/// <summary>A request's hold on a <see cref="LoadedModel"/>; the model is not disposed while a lease is out.</summary>
public sealed class ModelLease : IDisposable
{
    private LoadedModel? _model;

    internal ModelLease(LoadedModel model) => _model = model;

    public LoadedModel Model => _model ?? throw new ObjectDisposedException(nameof(ModelLease));

    public void Dispose() => Interlocked.Exchange(ref _model, null)?.Release();
}
