using Microsoft.AspNetCore.Http;

namespace WsssOnnx.Grpc.Server;

/// <summary>What a handler knows about its call, and how it adds response metadata.</summary>
public sealed class GrpcServerCallContext
{
    private readonly Func<Metadata, Task> _writeResponseHeaders;

    internal GrpcServerCallContext(HttpContext httpContext, string method, DateTime? deadline,
        CancellationToken cancellationToken, Func<Metadata, Task> writeResponseHeaders)
    {
        HttpContext = httpContext;
        Method = method;
        Deadline = deadline;
        CancellationToken = cancellationToken;
        _writeResponseHeaders = writeResponseHeaders;
        var connection = httpContext.Connection;
        Peer = connection.RemoteIpAddress is { } ip
            ? $"{(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"ipv6:[{ip}]" : $"ipv4:{ip}")}:{connection.RemotePort}"
            : "unknown";
        foreach (var (key, values) in httpContext.Request.Headers)
        {
            if (Metadata.IsReserved(key)) continue;
            foreach (var value in values) if (value is not null) RequestHeaders.AddWire(key, value);
        }
    }

    /// <summary>The method's path, "/package.Service/Method".</summary>
    public string Method { get; }

    /// <summary>The client's address, "ipv4:127.0.0.1:50312" or "ipv6:[::1]:50312".</summary>
    public string Peer { get; }

    /// <summary>Custom metadata the client sent.</summary>
    public Metadata RequestHeaders { get; } = new();

    /// <summary>Metadata sent with the status at the end of the call; add to it any time before the handler returns.</summary>
    public Metadata ResponseTrailers { get; } = new();

    /// <summary>UTC deadline from the client's grpc-timeout, or null when it sent none.</summary>
    public DateTime? Deadline { get; }

    /// <summary>Fires when the deadline passes or the client cancels or disconnects (RST_STREAM, connection loss).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The underlying ASP.NET Core request, for what this context does not expose (services, features).</summary>
    public HttpContext HttpContext { get; }

    /// <summary>How long <see cref="ClientLeftAsync"/> waits for Kestrel to flag an abort that an exception already showed.</summary>
    internal static readonly TimeSpan AbortFlagWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether <paramref name="error"/> is how a client that went away (RST_STREAM, connection loss) surfaces in a
    /// handler: an <see cref="IOException"/> or cancellation from the broken stream. Kestrel can flag the abort a while
    /// after the exception (hundreds of milliseconds on a loaded server), so this waits for it, without holding a thread,
    /// up to <see cref="AbortFlagWait"/>; call it on error paths only.
    /// </summary>
    public async Task<bool> ClientLeftAsync(Exception error)
    {
        if (error is not (IOException or OperationCanceledException)) return false;
        var aborted = HttpContext.RequestAborted;
        if (aborted.IsCancellationRequested) return true;
        try
        {
            await Task.Delay(AbortFlagWait, aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        return aborted.IsCancellationRequested;
    }

    /// <summary>Sends the response headers now, with <paramref name="headers"/>; at most once, before the first message.</summary>
    public Task WriteResponseHeadersAsync(Metadata headers) => _writeResponseHeaders(headers);
}
