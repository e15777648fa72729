namespace WsssOnnx.Server;

/// <summary>Settings of one server process, with the defaults `wsss serve` uses.</summary>
public sealed record ServiceOptions
{
    /// <summary>The models/ folder (models/&lt;name&gt;/&lt;version&gt;/manifest.json).</summary>
    public string ModelsRoot { get; init; } = "models";

    /// <summary>The package requests get when they name none; its newest version is activated at start.</summary>
    public string DefaultModel { get; init; } = "default";

    /// <summary>Requests running at once: one per core by default (each ORT run then uses <see cref="IntraOpThreads"/>).</summary>
    public int ConcurrencyLimit { get; init; } = Environment.ProcessorCount;

    /// <summary>Requests waiting beyond the running ones before RESOURCE_EXHAUSTED.</summary>
    public int QueueCapacity { get; init; } = 64;

    /// <summary>ORT intra-op threads per session run (0: ORT's default, one per core).</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Longest image side accepted (pixels); larger images get INVALID_ARGUMENT before any allocation.</summary>
    public int MaxImageSide { get; init; } = 1024;

    /// <summary>
    /// Items of one RegenerateLabels stream in progress at once when the client does not say: one per core, at most
    /// <see cref="Handlers.LabelRegenerationHandler.MaxInFlight"/> (a host with more cores than that still starts).
    /// </summary>
    public int DefaultStreamInFlight { get; init; } = Math.Min(Environment.ProcessorCount, Handlers.LabelRegenerationHandler.MaxInFlight);

    /// <summary>Watch <see cref="ModelsRoot"/> and activate new versions of served packages as they appear.</summary>
    public bool WatchModels { get; init; } = true;

    /// <summary>
    /// The largest <see cref="RequestCost"/> one request may have (pixel-passes; larger ones get RESOURCE_EXHAUSTED before
    /// any network runs). The default, about 4 minutes of one core, admits the bundled model's AdvCAM at its defaults
    /// (T = 27, 4 scales) with all 8 classes on a 512x512 image or 2 classes on a 1024x1024 one.
    /// </summary>
    public double MaxRequestCost { get; init; } = 1e9;

    /// <summary>
    /// ONNX Runtime's CPU memory arena. Off by default: the arena keeps its largest allocation for the session's life,
    /// so one large request would pin gigabytes; without it ORT's buffers go back to the allocator after each run.
    /// </summary>
    public bool MemoryArena { get; init; }

    /// <summary>The bearer token ModelAdmin calls must carry; null: admin calls from loopback peers only (<see cref="Handlers.AdminAccess"/>).</summary>
    public string? AdminToken { get; init; }

    /// <summary>
    /// How long shutdown keeps listening after health turns NOT_SERVING, so that health checkers and load balancers
    /// see it while new calls get UNAVAILABLE (running and queued ones go on).
    /// </summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long shutdown then waits for running and queued requests before it ends them with UNAVAILABLE.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public ServiceOptions Validate()
    {
        if (ConcurrencyLimit is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(ConcurrencyLimit), ConcurrencyLimit, "concurrency limit must be in [1, 1024]");
        if (QueueCapacity is < 0 or > 100_000) throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "queue capacity must be in [0, 100000]");
        if (IntraOpThreads is < 0 or > 256) throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "intra-op threads must be in [0, 256]");
        if (MaxImageSide is < 16 or > 8192) throw new ArgumentOutOfRangeException(nameof(MaxImageSide), MaxImageSide, "max image side must be in [16, 8192]");
        if (DefaultStreamInFlight is < 1 or > Handlers.LabelRegenerationHandler.MaxInFlight)
            throw new ArgumentOutOfRangeException(nameof(DefaultStreamInFlight), DefaultStreamInFlight, $"stream in-flight must be in [1, {Handlers.LabelRegenerationHandler.MaxInFlight}]");
        if (ShutdownGrace < TimeSpan.Zero || ShutdownGrace > TimeSpan.FromMinutes(10))
            throw new ArgumentOutOfRangeException(nameof(ShutdownGrace), ShutdownGrace, "shutdown grace must be in [0, 600] s");
        if (!(MaxRequestCost is >= 1e6 and <= 1e15)) throw new ArgumentOutOfRangeException(nameof(MaxRequestCost), MaxRequestCost, "max request cost must be in [1e6, 1e15]");
        if (AdminToken is not null && (AdminToken.Length < 16 || AdminToken.Any(char.IsWhiteSpace)))
            throw new ArgumentOutOfRangeException(nameof(AdminToken), "the admin token must have at least 16 characters and no white space");
        return this;
    }
}
