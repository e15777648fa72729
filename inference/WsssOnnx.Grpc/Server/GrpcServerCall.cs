using System.Runtime.CompilerServices;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WsssOnnx.Grpc.Protocol;

namespace WsssOnnx.Grpc.Server;

/// <summary>One server call over one HTTP/2 stream: request validation, message I/O, and the status at the end.</summary>
internal sealed class GrpcServerCall : IDisposable
{
    private readonly HttpContext _http;
    private readonly CancellationTokenSource _deadline = new();
    private readonly CancellationTokenSource _cancellation;
    private bool _responseStarted;

    private readonly CancellationToken _abandoned;
    private readonly IncompleteMessageGuard? _incomplete;
    private long _flushSince; // when the pending response flush began (a Stopwatch timestamp); 0: none pending

    private GrpcServerCall(HttpContext http, GrpcMessageCodec codec, TimeSpan? timeout, GrpcEndpoint endpoint, GrpcConnection? connection)
    {
        _http = http;
        Codec = codec;
        _abandoned = endpoint.Abandoned;
        _incomplete = connection is null ? null : new IncompleteMessageGuard(endpoint.Limits, connection.Held, connection.Budget, endpoint.ServerBudget);
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _deadline.Token, _abandoned);
        // A legal grpc-timeout can exceed both DateTime's range and the timer's: both saturate (GrpcTimeout).
        DateTime? deadline = timeout is { } d ? GrpcTimeout.DeadlineAfter(DateTime.UtcNow, d) : null;
        Context = new GrpcServerCallContext(http, http.Request.Path.Value ?? "", deadline, _cancellation.Token, WriteResponseHeadersAsync);
        if (timeout is { } t) GrpcTimeout.CancelAfter(_deadline, t);
    }

    public GrpcMessageCodec Codec { get; }

    public GrpcServerCallContext Context { get; }

    /// <summary>Serves one HTTP request that arrived on the gRPC endpoint.</summary>
    public static async Task HandleAsync(HttpContext http, GrpcEndpoint endpoint)
    {
        var options = endpoint.Options;
        var request = http.Request;
        var response = http.Response;
        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        // PROTOCOL-HTTP2: Content-Type → a server SHOULD answer other content types with HTTP 415.
        if (!GrpcHeaders.IsGrpcContentType(request.ContentType))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcHeaders.ContentType;
        response.Headers[GrpcHeaders.AcceptEncoding] = GrpcHeaders.SupportedEncodings;

        var encoding = request.Headers[GrpcHeaders.Encoding].ToString();
        var gzipIn = encoding.Equals(GrpcHeaders.Gzip, StringComparison.OrdinalIgnoreCase);
        var gzipOut = options.ResponseCompression && GrpcHeaders.AcceptsGzip(request.Headers[GrpcHeaders.AcceptEncoding].ToString());
        if (gzipOut) response.Headers[GrpcHeaders.Encoding] = GrpcHeaders.Gzip;
        var timeout = request.Headers.TryGetValue(GrpcHeaders.Timeout, out var timeoutHeader)
            ? GrpcTimeout.Parse(timeoutHeader.ToString()) : null;
        var codec = new GrpcMessageCodec(options.MaxReceiveMessageSize, options.MaxSendMessageSize, gzipOut, gzipIn);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var connection = GrpcEndpoint.ConnectionOf(http);
        using var call = new GrpcServerCall(http, codec, timeout, endpoint, connection);
        // When the client reset the stream: that moment, not when the handler has unwound, decides CANCELLED or DEADLINE_EXCEEDED.
        using var leaving = http.RequestAborted.Register(static state => ((GrpcServerCall)state!)._clientLeftAt = DateTime.UtcNow, call);
        var run = endpoint.Router.Find(request.Path.Value ?? "");
        try
        {
            if (run is null)
            {
                call.Finish(GrpcStatusCode.Unimplemented, $"Method {request.Path.Value} is unimplemented.", null);
                return;
            }
            if (connection is { OverLimit: true })
            {
                // It raced the GOAWAY its connection was sent (GrpcEndpoint.Admit); statuscodes.md: UNAVAILABLE, retry.
                call.Finish(GrpcStatusCode.Unavailable, $"The server has its maximum of {endpoint.Limits.MaxConnections} connections; retry later or elsewhere.", null);
                return;
            }
            // compression.md: an encoding the server does not support → UNIMPLEMENTED, listing ours in grpc-accept-encoding.
            if (!gzipIn && encoding.Length > 0 && !encoding.Equals(GrpcHeaders.Identity, StringComparison.OrdinalIgnoreCase))
            {
                call.Finish(GrpcStatusCode.Unimplemented, $"Unsupported grpc-encoding '{encoding}'.", null);
                return;
            }
            await call.RunAsync(run, endpoint.Logger);
        }
        finally
        {
            // Unknown paths are reported as one name, so a client cannot grow an observer's label set without bound.
            options.CallCompleted?.Invoke(new GrpcCallCompletion(run is null ? GrpcCallCompletion.UnknownMethod : request.Path.Value!, call.Status, clock.Elapsed));
        }
    }

    private async Task RunAsync(Func<GrpcServerCall, Task> run, ILogger logger)
    {
        GrpcStatusCode code;
        string message;
        Metadata? trailers = null;
        try
        {
            await run(this);
            (code, message) = _deadline.IsCancellationRequested
                ? (GrpcStatusCode.DeadlineExceeded, "Deadline Exceeded") : (GrpcStatusCode.OK, "");
        }
        catch (Exception) when (_http.RequestAborted.IsCancellationRequested)
        {
            // The client reset the stream or left: nothing more can be sent (CANCELLED on its side).
            return;
        }
        catch (RpcException e)
        {
            (code, message, trailers) = (e.StatusCode, e.Detail, e.Trailers);
        }
        catch (OperationCanceledException) when (_deadline.IsCancellationRequested)
        {
            (code, message) = (GrpcStatusCode.DeadlineExceeded, "Deadline Exceeded");
        }
        catch (OperationCanceledException) when (_abandoned.IsCancellationRequested)
        {
            // statuscodes.md: UNAVAILABLE, "server shutting down"; the client may retry it elsewhere.
            (code, message) = (GrpcStatusCode.Unavailable, "The server is shutting down; the call was stopped at its drain timeout.");
        }
        catch (Exception e)
        {
            if (await Context.ClientLeftAsync(e))
            {
                // The request stream broke, or the call's token fired, before Kestrel flagged the abort: the client left.
                logger.LogDebug(e, "gRPC method {Method}: the client went away", Context.Method);
                return;
            }
            // The exception is ours to log, not the client's to read.
            logger.LogError(e, "gRPC method {Method} failed", Context.Method);
            (code, message) = (GrpcStatusCode.Internal, "Exception was thrown by handler.");
        }
        Finish(code, message, trailers);
    }

    /// <summary>Exactly one request message (statuscodes.md: request cardinality violation → UNIMPLEMENTED).</summary>
    public async Task<T> ReadSingleAsync<T>(MessageParser<T> parser) where T : class, IMessage<T>
    {
        var reader = _http.Request.BodyReader;
        var message = await Codec.ReadAsync(reader, parser, Context.CancellationToken, _incomplete)
            ?? throw new RpcException(GrpcStatusCode.Unimplemented, "No request message for a method that takes exactly one.");
        if (await Codec.ReadAsync(reader, parser, Context.CancellationToken, _incomplete) is not null)
            throw new RpcException(GrpcStatusCode.Unimplemented, "More than one request message for a method that takes exactly one.");
        return message;
    }

    public async IAsyncEnumerable<T> ReadAllAsync<T>(MessageParser<T> parser, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IMessage<T>
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Context.CancellationToken);
        while (await Codec.ReadAsync(_http.Request.BodyReader, parser, linked.Token, _incomplete) is { } message)
        {
            // Until the handler asks for the next message, the stream is held: what the client sends on it stays unread.
            _incomplete?.HeldStreams.Hold(this);
            try
            {
                yield return message;
            }
            finally
            {
                _incomplete?.HeldStreams.Release(this);
            }
        }
    }

    public async Task WriteAsync(IMessage message, CancellationToken cancellationToken)
    {
        var writer = _http.Response.BodyWriter;
        Codec.Write(writer, message);
        _responseStarted = true;
        Volatile.Write(ref _flushSince, System.Diagnostics.Stopwatch.GetTimestamp());
        try
        {
            await writer.FlushAsync(cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _flushSince, 0);
        }
    }

    /// <summary>
    /// How long a response flush may wait before the call counts as waiting for its client to read (HTTP/2 flow control
    /// on the response), rather than for the server.
    /// </summary>
    internal static readonly TimeSpan ClientReadGrace = TimeSpan.FromSeconds(1);

    /// <summary>Whether a response write has waited over <see cref="ClientReadGrace"/>: the client is not reading.</summary>
    public bool WaitsOnClient => Volatile.Read(ref _flushSince) is var since and not 0
        && System.Diagnostics.Stopwatch.GetElapsedTime(since) > ClientReadGrace;

    private async Task WriteResponseHeadersAsync(Metadata headers)
    {
        if (_responseStarted) throw new InvalidOperationException("Response headers were already sent.");
        foreach (var entry in headers) _http.Response.Headers.Append(entry.Key, Metadata.ToWire(entry));
        _responseStarted = true;
        await _http.Response.StartAsync(Context.CancellationToken);
        await _http.Response.BodyWriter.FlushAsync(Context.CancellationToken);
    }

    /// <summary>PROTOCOL-HTTP2: Responses → status in trailers, or Trailers-Only (status in the only HEADERS frame) when nothing was sent.</summary>
    private GrpcStatusCode? _status;

    /// <summary>
    /// How much earlier than ours a client's own deadline may fire. PROTOCOL-HTTP2 "Timeout" is relative: the client's
    /// clock starts before it sends HEADERS (and before any wait for a connection or a stream slot), ours when they
    /// arrive, so its timer, and the RST_STREAM it sends when it fires, come first.
    /// </summary>
    internal static readonly TimeSpan ClientDeadlineLead = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The status the call ended with. A client that left before one was sent counts as DEADLINE_EXCEEDED when it left
    /// at its deadline (within <see cref="ClientDeadlineLead"/> of ours), else CANCELLED.
    /// </summary>
    public GrpcStatusCode Status => _status
        ?? (_deadline.IsCancellationRequested || _clientLeftAt >= Context.Deadline - ClientDeadlineLead
            ? GrpcStatusCode.DeadlineExceeded : GrpcStatusCode.Cancelled);

    private DateTime _clientLeftAt = DateTime.MaxValue;

    private void Finish(GrpcStatusCode code, string message, Metadata? extraTrailers)
    {
        if (_http.RequestAborted.IsCancellationRequested) return;
        _status = code;
        var response = _http.Response;
        Action<string, string> add = _responseStarted || response.HasStarted
            ? (key, value) => response.AppendTrailer(key, value)
            : (key, value) => response.Headers.Append(key, value);
        add(GrpcHeaders.Status, ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (message.Length > 0) add(GrpcHeaders.Message, GrpcStatusMessage.Encode(message));
        foreach (var entry in Context.ResponseTrailers.Concat(extraTrailers ?? [])) add(entry.Key, Metadata.ToWire(entry));
    }

    public void Dispose()
    {
        _cancellation.Dispose();
        _deadline.Dispose();
    }
}
