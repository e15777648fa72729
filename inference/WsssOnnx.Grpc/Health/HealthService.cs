using System.Threading.Channels;
using WsssOnnx.Grpc.Server;
using WsssOnnx.Protos.Health.V1;
using ServingStatus = WsssOnnx.Protos.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace WsssOnnx.Grpc.Health;

/// <summary>
/// grpc.health.v1.Health (grpc doc/health-checking.md): a status per service name, "" for the whole server (SERVING from the start).
/// Check answers NOT_FOUND for an unknown service; Watch sends the current status (SERVICE_UNKNOWN when unknown) and then
/// every change, keeping only the latest when the client reads slowly. Thread-safe.
/// </summary>
public sealed class HealthService
{
    private const string ServiceName = "grpc.health.v1.Health";
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal) { [""] = ServingStatus.Serving };
    private readonly Dictionary<string, List<ChannelWriter<ServingStatus>>> _watchers = new(StringComparer.Ordinal);
    private bool _shutdown;

    /// <summary>"/grpc.health.v1.Health/Check".</summary>
    public static GrpcMethod<HealthCheckRequest, HealthCheckResponse> CheckMethod { get; } =
        new(GrpcMethodKind.Unary, ServiceName, "Check", HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    /// <summary>"/grpc.health.v1.Health/Watch".</summary>
    public static GrpcMethod<HealthCheckRequest, HealthCheckResponse> WatchMethod { get; } =
        new(GrpcMethodKind.ServerStreaming, ServiceName, "Watch", HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    /// <summary>Sets the status of <paramref name="service"/> ("" for the server) and tells its watchers; ignored after <see cref="Shutdown"/>.</summary>
    public void SetStatus(string service, ServingStatus status)
    {
        lock (_gate)
        {
            if (!_shutdown) Publish(service, status);
        }
    }

    /// <summary>The status of <paramref name="service"/>, or null when it is unknown.</summary>
    public ServingStatus? GetStatus(string service)
    {
        lock (_gate) return _statuses.TryGetValue(service, out var status) ? status : null;
    }

    /// <summary>Marks every service NOT_SERVING and ignores later <see cref="SetStatus"/> calls (health-checking.md: server shutdown).</summary>
    public void Shutdown()
    {
        lock (_gate)
        {
            _shutdown = true;
            foreach (var service in _statuses.Keys.ToList()) Publish(service, ServingStatus.NotServing);
        }
    }

    /// <summary>Registers Check and Watch on <paramref name="router"/>.</summary>
    public GrpcServiceRouter AddTo(GrpcServiceRouter router) =>
        router.AddUnary(CheckMethod, CheckAsync).AddServerStreaming(WatchMethod, WatchAsync);

    private Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, GrpcServerCallContext context) =>
        GetStatus(request.Service) is { } status
            ? Task.FromResult(new HealthCheckResponse { Status = status })
            : throw new RpcException(GrpcStatusCode.NotFound, $"Unknown service '{request.Service}'.");

    private async Task WatchAsync(HealthCheckRequest request, IGrpcStreamWriter<HealthCheckResponse> writer, GrpcServerCallContext context)
    {
        var updates = Channel.CreateBounded<ServingStatus>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
        {
            updates.Writer.TryWrite(_statuses.TryGetValue(request.Service, out var current) ? current : ServingStatus.ServiceUnknown);
            if (!_watchers.TryGetValue(request.Service, out var list)) _watchers[request.Service] = list = [];
            list.Add(updates.Writer);
        }
        try
        {
            await foreach (var status in updates.Reader.ReadAllAsync(context.CancellationToken))
                await writer.WriteAsync(new HealthCheckResponse { Status = status }, context.CancellationToken);
        }
        finally
        {
            lock (_gate) _watchers[request.Service].Remove(updates.Writer);
        }
    }

    private void Publish(string service, ServingStatus status)
    {
        _statuses[service] = status;
        if (_watchers.TryGetValue(service, out var list))
            foreach (var watcher in list) watcher.TryWrite(status);
    }
}
