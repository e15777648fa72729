using Google.Protobuf;
using Polly;
using Polly.Retry;
using WsssOnnx.Grpc;
using WsssOnnx.Grpc.Client;

namespace WsssOnnx.Cli.Remote;

/// <summary>
/// The servers named by --server (host:port[,host:port...]): one channel each, and a retry policy for calls that
/// fail with UNAVAILABLE (server down or shutting down) or RESOURCE_EXHAUSTED (its queue is full): exponential back-off
/// with jitter, each attempt on the next server. Other statuses are the request's own fault and are not retried.
/// </summary>
internal sealed class ServerPool : IDisposable
{
    private readonly GrpcClientChannel[] _channels;
    private readonly ResiliencePipeline _retry;
    private int _next;

    private ServerPool(GrpcClientChannel[] channels, int retries)
    {
        _channels = channels;
        Retries = retries;
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RpcException>(IsTransient),
                MaxRetryAttempts = Math.Max(1, retries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(5),
            })
            .Build();
    }

    public IReadOnlyList<GrpcClientChannel> Channels => _channels;

    public int Retries { get; }

    /// <summary>Whether a failure may succeed on a retry (another server, or the same one later).
    /// A request refused for its cost (the server sends its limit in a trailer) fails the same way everywhere.</summary>
    public static bool IsTransient(RpcException e) =>
        e.StatusCode is GrpcStatusCode.Unavailable
        || (e.StatusCode is GrpcStatusCode.ResourceExhausted && e.Trailers.GetValue(WsssOnnx.Server.Handlers.ServiceErrors.MaxRequestCostTrailer) is null);

    /// <summary>Parses "host:port[,host:port...]" (an http:// or https:// prefix is kept; plain means h2c).</summary>
    /// <exception cref="UsageException">An entry is not host:port, none is given, or retries is out of range.</exception>
    public static ServerPool Parse(string list, int retries, int maxMessageBytes = 64 * 1024 * 1024)
    {
        var addresses = new List<string>();
        foreach (string raw in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string address = raw.Contains("://", StringComparison.Ordinal) ? raw : "http://" + raw;
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Port <= 0 || uri.Scheme is not ("http" or "https") || raw.EndsWith(':'))
                throw new UsageException($"--server: \"{raw}\" is not host:port (e.g. 127.0.0.1:50051).");
            addresses.Add(uri.GetLeftPart(UriPartial.Authority));
        }
        if (addresses.Count == 0) throw new UsageException("--server names no server; give host:port[,host:port...].");
        if (retries is < 0 or > 100) throw new UsageException($"--retries must be in [0, 100]; got {retries}.");
        var options = new GrpcClientOptions { MaxReceiveMessageSize = maxMessageBytes };
        return new ServerPool([.. addresses.Select(a => new GrpcClientChannel(a, options))], retries);
    }

    /// <summary>The server the next call starts on (round robin).</summary>
    public GrpcClientChannel Next() => _channels[(int)((uint)Interlocked.Increment(ref _next) % (uint)_channels.Length)];

    /// <summary>A unary call with retries; the last failure is rethrown.</summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request, TimeSpan timeout,
        CancellationToken cancellation)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse>
    {
        if (Retries == 0) return await Call(Next(), cancellation).ConfigureAwait(false);
        return await _retry.ExecuteAsync(async token => await Call(Next(), token).ConfigureAwait(false), cancellation).ConfigureAwait(false);

        Task<TResponse> Call(GrpcClientChannel channel, CancellationToken token) =>
            channel.UnaryAsync(method, request, new GrpcCallOptions { Deadline = DateTime.UtcNow + timeout, CancellationToken = token });
    }

    /// <summary>A sentence for a failed call, naming the server set.</summary>
    public string Describe(RpcException e) =>
        $"{e.StatusCode}: {e.Detail}" + (IsTransient(e) ? $" (after {Retries} retries over {string.Join(", ", _channels.Select(c => c.Address.Authority))})" : "");

    public void Dispose()
    {
        foreach (var channel in _channels) channel.Dispose();
    }
}
