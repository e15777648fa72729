using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace WsssOnnx.Grpc.Server;

/// <summary>What every call on the gRPC endpoint shares: its methods, options, limits, log, and the server's state.</summary>
internal sealed class GrpcEndpoint(GrpcServiceRouter router, GrpcServerOptions options, GrpcTransportLimits limits, ILogger logger, CancellationToken abandoned)
{
    private int _connections;

    public GrpcServiceRouter Router => router;

    public GrpcServerOptions Options => options;

    public GrpcTransportLimits Limits => limits;

    public ILogger Logger => logger;

    /// <summary>Fires when the server's shutdown timeout has passed: calls still running end with UNAVAILABLE.</summary>
    public CancellationToken Abandoned => abandoned;

    public IncompleteMessageBudget ServerBudget { get; } = new(limits.MaxIncompleteBytesPerServer, GrpcTransportLimits.ServerBuffer);

    /// <summary>
    /// Kestrel connection middleware: counts the endpoint's connections and gives each its <see cref="GrpcConnection"/>.
    /// A connection over <see cref="GrpcTransportLimits.MaxConnections"/> is asked to close at once, which sends GOAWAY
    /// with last-stream-id 0 (RFC 9113 6.8) after the server's SETTINGS.
    /// </summary>
    public ConnectionDelegate Admit(ConnectionDelegate next) => async connection =>
    {
        bool over = Interlocked.Increment(ref _connections) > limits.MaxConnections;
        try
        {
            connection.Items[typeof(GrpcConnection)] = new GrpcConnection(
                new IncompleteMessageBudget(limits.MaxIncompleteBytesPerConnection, GrpcTransportLimits.ConnectionBuffer), new HeldStreams(), over);
            if (over)
            {
                limits.Refused?.Invoke(GrpcTransportLimits.Connections);
                connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
            }
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
        }
    };

    /// <summary>The connection a request arrived on (made by <see cref="Admit"/>).</summary>
    public static GrpcConnection? ConnectionOf(HttpContext http) =>
        http.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(typeof(GrpcConnection), out var value) == true ? value as GrpcConnection : null;
}

/// <summary>
/// One connection's share of the limits: its incomplete-message budget, how its streams are being read, and whether it
/// is over the connection limit.
/// </summary>
internal sealed record GrpcConnection(IncompleteMessageBudget Budget, HeldStreams Held, bool OverLimit);

/// <summary>
/// The request streams of one connection that a handler holds between two messages. What the client sends on a held
/// stream stays unread and counts against the connection's flow-control window (RFC 9113 6.9.1): held streams can fill
/// it, and then the client cannot send on any stream of the connection. Thread-safe.
/// </summary>
internal sealed class HeldStreams
{
    private readonly Lock _gate = new();
    private readonly HashSet<GrpcServerCall> _calls = [];

    public void Hold(GrpcServerCall call)
    {
        lock (_gate) _calls.Add(call);
    }

    public void Release(GrpcServerCall call)
    {
        lock (_gate) _calls.Remove(call);
    }

    /// <summary>
    /// Whether the server holds one of the streams: its handler works or waits for a place, rather than waiting for its
    /// client to read a reply (<see cref="GrpcServerCall.WaitsOnClient"/>), which is the client's own doing.
    /// </summary>
    public bool AnyHeldByServer()
    {
        lock (_gate)
        {
            foreach (var call in _calls)
                if (!call.WaitsOnClient) return true;
            return false;
        }
    }
}
