using System.Diagnostics;
using System.Net;
using Google.Protobuf;
using WsssOnnx.Protos.Health.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WsssOnnx.Grpc;
using WsssOnnx.Grpc.Health;
using WsssOnnx.Grpc.Reflection;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Grpc.Server;
using WsssOnnx.Runtime;
using WsssOnnx.Server.Handlers;
using WsssOnnx.Server.Metrics;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Server;

/// <summary>
/// The running service: the wsss.v1 services and grpc.health.v1 on the gRPC endpoint, Prometheus text at /metrics on
/// the HTTP endpoint, over a <see cref="ModelRegistry"/> (the default package's newest version active at start),
/// admission control and, when enabled, a watch on the models folder. <see cref="StopAsync"/> shuts down gracefully:
/// health says NOT_SERVING and new calls get UNAVAILABLE for the shutdown grace while the server still listens, then it
/// stops listening, running and queued calls finish (up to the drain timeout, then they end with UNAVAILABLE), models
/// are disposed.
/// </summary>
public sealed class WsssServer : IAsyncDisposable
{
    private readonly GrpcHost _host;
    private readonly ModelDirectoryWatcher? _watcher;
    private readonly PrometheusExporter _exporter;
    private readonly ServiceMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private int _stopped;

    private WsssServer(GrpcHost host, ModelRegistry registry, AdmissionController admission, HealthService health, ModelDirectoryWatcher? watcher,
        PrometheusExporter exporter, ServiceMetrics metrics, ServiceOptions options, ILoggerFactory loggerFactory, ILogger logger)
    {
        _host = host;
        Registry = registry;
        Admission = admission;
        Health = health;
        _watcher = watcher;
        _exporter = exporter;
        _metrics = metrics;
        Options = options;
        _loggerFactory = loggerFactory;
        _logger = logger;
    }

    public ModelRegistry Registry { get; }

    public AdmissionController Admission { get; }

    /// <summary>Calls and messages refused by a transport limit since start (what they had buffered is garbage now).</summary>
    public long TransportRefusals => _metrics.RefusalCount;

    public HealthService Health { get; }

    public ServiceOptions Options { get; }

    public int GrpcPort => _host.GrpcPort;

    public int? MetricsPort => _host.HttpPort;

    /// <summary>The Prometheus exposition text (what /metrics serves).</summary>
    public string RenderMetrics() => _exporter.Render();

    /// <summary>
    /// Activates the default package's newest version that loads (failing start-up only if none does), then starts listening.
    /// </summary>
    /// <param name="configureLogging">Adds logging providers (e.g. JSON console); none: no logs.</param>
    public static async Task<WsssServer> StartAsync(ServiceOptions options, GrpcHostOptions hostOptions,
        Action<ILoggingBuilder>? configureLogging = null, CancellationToken cancellation = default)
    {
        options.Validate();
        var loggerFactory = LoggerFactory.Create(b => configureLogging?.Invoke(b));
        var logger = loggerFactory.CreateLogger("WsssOnnx.Server");
        var sessionConfig = new SessionConfig { IntraOpThreads = options.IntraOpThreads, MemoryArena = options.MemoryArena };
        var registry = new ModelRegistry(options.ModelsRoot, sessionConfig, loggerFactory.CreateLogger("WsssOnnx.Server.ModelRegistry"), options.DefaultModel);
        try
        {
            await registry.ActivateNewestLoadableAsync(options.DefaultModel, cancellation).ConfigureAwait(false);
        }
        catch
        {
            await registry.DisposeAsync().ConfigureAwait(false);
            loggerFactory.Dispose();
            throw;
        }

        var admission = new AdmissionController(options.ConcurrencyLimit, options.QueueCapacity, options.MaxRequestCost);
        var metrics = new ServiceMetrics(admission, registry);
        var exporter = new PrometheusExporter(ServiceMetrics.MeterName);
        var health = new HealthService();
        foreach (string service in (string[])["", WsssApi.SegmentationService, WsssApi.AttributionService, WsssApi.ModelAdminService])
            health.SetStatus(service, HealthCheckResponse.Types.ServingStatus.Serving);

        var images = new RequestImage(options.MaxImageSide);
        var attribution = new AttributionHandler(registry, admission, images);
        var segmentation = new SegmentationHandler(registry, admission, images);
        var adminAccess = new AdminAccess(options.AdminToken);
        var requestLogger = loggerFactory.CreateLogger("WsssOnnx.Server.Requests");
        var regeneration = new LabelRegenerationHandler(attribution, registry, options, metrics, requestLogger);
        var admin = new ModelAdminHandler(registry, admission);
        var router = new GrpcServiceRouter();
        health.AddTo(router);
        // Server reflection, so grpcurl and similar tools can list, describe and call the API without the .proto files.
        new ReflectionService(router, HealthReflection.Descriptor, SegmentationReflection.Descriptor, AttributionReflection.Descriptor,
            ModelAdminReflection.Descriptor).AddToRouter();
        var observe = new RequestObserver(requestLogger);
        // Every call is counted where it ends, in the gRPC layer, so calls it refuses itself are counted too.
        hostOptions = hostOptions with
        {
            ShutdownTimeout = options.DrainTimeout,
            Server = hostOptions.Server with { CallCompleted = c => metrics.RecordRequest(c.Method, c.Status.ToString(), c.Elapsed) },
            Limits = hostOptions.Limits with { Refused = metrics.RecordRefusal },
        };
        router.AddUnary(WsssApi.Segment, (r, c) => observe.Unary(WsssApi.Segment, c, () => segmentation.SegmentAsync(r, c.CancellationToken)));
        router.AddUnary(WsssApi.Attribute, (r, c) => observe.Unary(WsssApi.Attribute, c, () => attribution.AttributeAsync(r, c.CancellationToken)));
        router.AddDuplex(WsssApi.RegenerateLabels, (requests, writer, c) => observe.Stream(WsssApi.RegenerateLabels.FullName, c,
            () => regeneration.RegenerateAsync(requests, reply => writer.WriteAsync(reply, c.CancellationToken), c.CancellationToken)));
        // Every ModelAdmin method checks its caller first (AdminAccess).
        void AddAdmin<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, Func<TRequest, CancellationToken, Task<TResponse>> handler)
            where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
            router.AddUnary(method, (r, c) => observe.Unary(method, c, () =>
            {
                adminAccess.Check(c);
                return handler(r, c.CancellationToken);
            }));
        AddAdmin(WsssApi.ListModels, admin.ListModelsAsync);
        AddAdmin(WsssApi.LoadModel, admin.LoadModelAsync);
        AddAdmin(WsssApi.ActivateModel, admin.ActivateModelAsync);
        AddAdmin(WsssApi.UnloadModel, admin.UnloadModelAsync);
        AddAdmin(WsssApi.GetStatus, admin.GetStatusAsync);

        ModelDirectoryWatcher? watcher = options.WatchModels
            ? new ModelDirectoryWatcher(registry, loggerFactory.CreateLogger("WsssOnnx.Server.ModelWatch"))
            : null;
        GrpcHost host;
        try
        {
            host = await GrpcHost.StartAsync(router, hostOptions,
                builder =>
                {
                    builder.Logging.ClearProviders();
                    configureLogging?.Invoke(builder.Logging);
                    builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
                    // The process's signals belong to whoever hosts this server (wsss serve stops it in order).
                    builder.Services.AddSingleton<IHostLifetime, HostedByCaller>();
                },
                app => app.MapGet("/metrics", (HttpContext http) =>
                {
                    http.Response.ContentType = PrometheusExporter.ContentType;
                    return http.Response.WriteAsync(exporter.Render());
                }),
                cancellation).ConfigureAwait(false);
        }
        catch
        {
            if (watcher is not null) await watcher.DisposeAsync().ConfigureAwait(false);
            await registry.DisposeAsync().ConfigureAwait(false);
            exporter.Dispose();
            metrics.Dispose();
            loggerFactory.Dispose();
            throw;
        }
        logger.LogInformation("Serving gRPC on {Grpc} and metrics on {Http}; models {Root}, active {Models}; {Limit} concurrent requests, queue {Queue}",
            $"{hostOptions.GrpcEndpoint.Address}:{host.GrpcPort}", host.HttpPort is int p ? $"http://{hostOptions.HttpEndpoint!.Address}:{p}/metrics" : "none",
            registry.Root, string.Join(", ", registry.ActiveModels.Select(m => $"{m.Name}/{m.Version} ({m.ExecutionProvider})")),
            options.ConcurrencyLimit, options.QueueCapacity);
        return new WsssServer(host, registry, admission, health, watcher, exporter, metrics, options, loggerFactory, logger);
    }

    /// <summary>Graceful shutdown (idempotent).</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        Health.Shutdown();
        Admission.Close();
        _logger.LogInformation("Shutting down: NOT_SERVING for {Grace} s, then draining {Running} running and {Queued} queued requests (up to {Drain} s)",
            Options.ShutdownGrace.TotalSeconds, Admission.Running, Admission.Queued, Options.DrainTimeout.TotalSeconds);
        if (_watcher is not null) await _watcher.DisposeAsync().ConfigureAwait(false);
        // Still listening: health checks see NOT_SERVING, new calls get UNAVAILABLE with a status, not a refused connection.
        await Task.Delay(Options.ShutdownGrace).ConfigureAwait(false);
        await _host.StopAsync().ConfigureAwait(false);
        await Registry.ShutdownAsync(Options.DrainTimeout).ConfigureAwait(false);
        _logger.LogInformation("Stopped");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _host.DisposeAsync().ConfigureAwait(false);
        _exporter.Dispose();
        _metrics.Dispose();
        // Console providers write from a background queue; disposing flushes it.
        _loggerFactory.Dispose();
    }

    /// <summary>A host lifetime that does not listen to Ctrl+C or SIGTERM: <see cref="StopAsync"/> is the only way down.</summary>
    private sealed class HostedByCaller : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Per-call logs, and the translation of known failures into their gRPC status.</summary>
    private sealed class RequestObserver(ILogger logger)
    {
        public async Task<TResponse> Unary<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, GrpcServerCallContext context, Func<Task<TResponse>> handler)
            where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse>
        {
            TResponse? response = default;
            await Stream(method.FullName, context, async () => response = await handler().ConfigureAwait(false)).ConfigureAwait(false);
            return response!;
        }

        public async Task Stream(string method, GrpcServerCallContext context, Func<Task> handler)
        {
            var clock = Stopwatch.StartNew();
            string status = nameof(GrpcStatusCode.OK);
            try
            {
                await handler().ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                status = context.Deadline is { } d && d <= DateTime.UtcNow ? nameof(GrpcStatusCode.DeadlineExceeded) : nameof(GrpcStatusCode.Cancelled);
                throw;
            }
            catch (Exception e)
            {
                if (e is not RpcException && await context.ClientLeftAsync(e).ConfigureAwait(false))
                {
                    // A client hanging up mid-call is the client's business, not a server failure.
                    status = nameof(GrpcStatusCode.Cancelled);
                    logger.LogDebug("{Method} from {Peer}: the client went away ({Error})", method, context.Peer, e.Message);
                    throw;
                }
                var rpc = ServiceErrors.ToRpc(e);
                status = (rpc?.StatusCode ?? GrpcStatusCode.Internal).ToString();
                if (rpc is null)
                {
                    logger.LogError(e, "{Method} from {Peer} failed with an unexpected error", method, context.Peer);
                    throw;
                }
                logger.LogInformation("{Method} from {Peer}: {Status} {Detail}", method, context.Peer, rpc.StatusCode, rpc.Detail);
                if (!ReferenceEquals(rpc, e)) throw rpc;
                throw;
            }
            finally
            {
                logger.LogDebug("{Method} from {Peer}: {Status} in {Ms:F1} ms", method, context.Peer, status, clock.Elapsed.TotalMilliseconds);
            }
        }
    }
}
