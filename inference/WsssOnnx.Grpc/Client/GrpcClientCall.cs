using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Google.Protobuf;
using WsssOnnx.Grpc.Protocol;

namespace WsssOnnx.Grpc.Client;

/// <summary>
/// A call in progress: write requests (client/duplex streaming), read responses, then the status. Responses can be read
/// before the request stream is complete. A non-OK status surfaces as <see cref="RpcException"/> from the read that
/// reaches it. Disposing an unfinished call cancels it (RST_STREAM).
/// </summary>
public sealed class GrpcClientCall<TRequest, TResponse> : IDisposable
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly GrpcMethod<TRequest, TResponse> _method;
    private readonly GrpcMessageCodec _codec;
    private readonly GrpcRequestContent _content = new();
    private readonly CancellationToken _callerToken;
    private readonly CancellationTokenSource _deadline = new();
    private readonly CancellationTokenSource _cancellation;
    private readonly CancellationTokenRegistration _onCancel;
    private readonly Task<HttpResponseMessage> _response;
    private readonly RequestWriter _requestStream;
    private readonly Lock _gate = new();
    private GrpcMessageCodec _readCodec;
    private PipeReader? _reader;
    private Metadata? _headers;
    private Metadata _trailers = new();
    private RpcException? _status;
    private bool _done;
    private bool _cancelled;
    private bool _disposed;

    internal GrpcClientCall(HttpMessageInvoker invoker, Uri address, GrpcClientOptions channelOptions,
        GrpcMethod<TRequest, TResponse> method, GrpcCallOptions options, TRequest? request)
    {
        _method = method;
        _codec = new GrpcMessageCodec(channelOptions.MaxReceiveMessageSize, channelOptions.MaxSendMessageSize, channelOptions.CompressRequests, false);
        _readCodec = _codec;
        _callerToken = options.CancellationToken;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(_callerToken, _deadline.Token);
        _requestStream = new RequestWriter(this);
        if (request is not null)
        {
            _content.Frames.TryWrite(_codec.Frame(request));
            _content.Frames.TryComplete();
        }

        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(address, method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = _content,
        };
        var headers = message.Headers;
        headers.TryAddWithoutValidation("te", "trailers");
        headers.TryAddWithoutValidation("user-agent", "wsss-grpc-dotnet/1.0");
        if (channelOptions.CompressRequests) headers.TryAddWithoutValidation(GrpcHeaders.Encoding, GrpcHeaders.Gzip);
        headers.TryAddWithoutValidation(GrpcHeaders.AcceptEncoding,
            channelOptions.AcceptCompressedResponses ? GrpcHeaders.SupportedEncodings : GrpcHeaders.Identity);
        var deadline = options.Deadline ?? (channelOptions.DefaultTimeout is { } t ? GrpcTimeout.DeadlineAfter(DateTime.UtcNow, t) : null);
        if (deadline is { } d)
        {
            var timeout = d.ToUniversalTime() - DateTime.UtcNow;
            headers.TryAddWithoutValidation(GrpcHeaders.Timeout, GrpcTimeout.Format(timeout));
            // PROTOCOL-HTTP2: Timeout → the client enforces the deadline as well as sending it.
            GrpcTimeout.CancelAfter(_deadline, timeout);
        }
        foreach (var entry in options.Headers ?? []) headers.TryAddWithoutValidation(entry.Key, Metadata.ToWire(entry));

        _onCancel = _cancellation.Token.Register(static state => ((GrpcClientCall<TRequest, TResponse>)state!).Abort(), this);
        _response = SendAsync(invoker, message);
        // A call disposed before anyone read it still fails its send task: observe that here.
        _response.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>Writes request messages; only for client- and duplex-streaming calls.</summary>
    public IGrpcRequestStream<TRequest> RequestStream => _method.Kind is GrpcMethodKind.ClientStreaming or GrpcMethodKind.DuplexStreaming
        ? _requestStream
        : throw new InvalidOperationException($"{_method.FullName} is {_method.Kind}: it has no request stream.");

    /// <summary>The response headers (for a Trailers-Only response, its metadata); throws the status when the call failed before any.</summary>
    public async Task<Metadata> ResponseHeadersAsync()
    {
        try
        {
            await OpenAsync();
        }
        catch (Exception e)
        {
            throw Fail(e);
        }
        return _headers ?? throw _status!;
    }

    /// <summary>Trailing metadata; complete once a read has returned null or thrown.</summary>
    public Metadata GetTrailers() => _trailers;

    /// <summary>The next response, or null after the last one when the status is OK; throws <see cref="RpcException"/> otherwise.</summary>
    public async Task<TResponse?> ReadAsync(CancellationToken cancellationToken = default)
    {
        // Cancelling a read cancels the call, as in grpc.
        using var registration = cancellationToken.Register(static state => ((GrpcClientCall<TRequest, TResponse>)state!).Cancel(), this);
        try
        {
            var reader = await OpenAsync();
            if (reader is null) return _status is null ? null : throw _status;
            if (await _readCodec.ReadAsync(reader, _method.ResponseParser, _cancellation.Token) is { } response) return response;
            return ReadStatus();
        }
        catch (Exception e)
        {
            throw Fail(e);
        }
    }

    /// <summary>All responses until the status; throws <see cref="RpcException"/> when it is not OK.</summary>
    public async IAsyncEnumerable<TResponse> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await ReadAsync(cancellationToken) is { } response) yield return response;
    }

    /// <summary>The single response of a unary or client-streaming call (statuscodes.md: any other count → UNIMPLEMENTED).</summary>
    public async Task<TResponse> ResponseAsync(CancellationToken cancellationToken = default)
    {
        var response = await ReadAsync(cancellationToken)
            ?? throw Fail(new RpcException(GrpcStatusCode.Unimplemented, "The server sent OK without a response message."));
        if (await ReadAsync(cancellationToken) is not null)
            throw Fail(new RpcException(GrpcStatusCode.Unimplemented, "The server sent more than one response message."));
        return response;
    }

    /// <summary>Cancels an unfinished call and releases it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_done) Fail(new RpcException(GrpcStatusCode.Cancelled, "Call disposed before it completed."));
        _onCancel.Dispose();
        _cancellation.Dispose();
        _deadline.Dispose();
        if (_response.IsCompletedSuccessfully) _response.Result.Dispose();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMessageInvoker invoker, HttpRequestMessage message)
    {
        try
        {
            return await invoker.SendAsync(message, _cancellation.Token);
        }
        catch (Exception e)
        {
            throw Fail(e);
        }
    }

    private async Task<PipeReader?> OpenAsync()
    {
        if (_reader is not null || _done) return _reader;
        var response = await _response;
        if (_reader is not null || _done) return _reader;
        if (response.StatusCode != HttpStatusCode.OK)
            throw Fail(new RpcException(FromHttpStatus(response.StatusCode), $"Bad gRPC response. HTTP status code: {(int)response.StatusCode}"));
        var contentType = response.Content.Headers.ContentType?.ToString();
        if (!GrpcHeaders.IsGrpcContentType(contentType))
            throw Fail(new RpcException(GrpcStatusCode.Unknown, $"Bad gRPC response. Content-Type: {contentType}"));
        _headers = ToMetadata(response.Headers);
        if (response.Headers.Contains(GrpcHeaders.Status))
        {
            // PROTOCOL-HTTP2: Trailers-Only → the status and trailers were in the headers.
            _trailers = _headers;
            SetStatus(response.Headers);
            return null;
        }
        var gzip = response.Headers.TryGetValues(GrpcHeaders.Encoding, out var encodings)
            && encodings.Any(e => e.Equals(GrpcHeaders.Gzip, StringComparison.OrdinalIgnoreCase));
        var stream = await response.Content.ReadAsStreamAsync(_cancellation.Token);
        _readCodec = _codec with { IncomingGzip = gzip };
        _reader = PipeReader.Create(stream);
        return _reader;
    }

    private TResponse? ReadStatus()
    {
        var trailers = _response.Result.TrailingHeaders;
        _trailers = ToMetadata(trailers);
        SetStatus(trailers);
        return _status is null ? null : throw _status;
    }

    private void SetStatus(System.Net.Http.Headers.HttpHeaders headers)
    {
        _done = true;
        _content.Frames.TryComplete();
        if (!headers.TryGetValues(GrpcHeaders.Status, out var codes)
            || !int.TryParse(codes.First(), NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            _status = new RpcException(GrpcStatusCode.Internal, "No valid grpc-status in the response.", _trailers);
            return;
        }
        if (code == 0) return;
        var message = headers.TryGetValues(GrpcHeaders.Message, out var messages) ? GrpcStatusMessage.Decode(messages.First()) : "";
        _status = new RpcException((GrpcStatusCode)code, message, _trailers);
    }

    /// <summary>Ends the call with the status <paramref name="error"/> stands for, resetting the stream; returns that status.</summary>
    private RpcException Fail(Exception error)
    {
        lock (_gate)
        {
            if (_done) return _status ?? (error as RpcException) ?? ToStatus(error);
            _status = ToStatus(error);
            _done = true;
            Abort();
            return _status;
        }
    }

    private RpcException ToStatus(Exception error)
    {
        if (error is RpcException rpc) return rpc;
        if (_deadline.IsCancellationRequested) return new RpcException(GrpcStatusCode.DeadlineExceeded, "Deadline Exceeded");
        if (_callerToken.IsCancellationRequested || _cancelled) return new RpcException(GrpcStatusCode.Cancelled, "Call cancelled by the client.");
        for (var e = error; e is not null; e = e.InnerException)
            if (e is HttpProtocolException protocol) return FromHttp2Error(protocol);
        return error switch
        {
            // statuscodes.md: connection failures and broken connections are UNAVAILABLE.
            HttpRequestException or IOException => new RpcException(GrpcStatusCode.Unavailable, error.Message),
            OperationCanceledException => new RpcException(GrpcStatusCode.Cancelled, error.Message),
            _ => new RpcException(GrpcStatusCode.Internal, $"{error.GetType().Name}: {error.Message}"),
        };
    }

    private void Cancel()
    {
        _cancelled = true;
        Fail(new RpcException(GrpcStatusCode.Cancelled, "Call cancelled by the client."));
    }

    /// <summary>Resets the HTTP/2 stream: request body aborted, response disposed.</summary>
    private void Abort()
    {
        _content.Frames.TryComplete(new OperationCanceledException("The call ended."));
        if (!_cancellation.IsCancellationRequested)
        {
            try { _cancellation.Cancel(); } catch (ObjectDisposedException) { }
        }
        // The deadline timer can fire while the constructor is still running (a deadline already passed), before the
        // send has started: then there is no response to dispose, and the send sees the cancelled token.
        Task<HttpResponseMessage>? response = _response;
        if (response is not null && response.IsCompletedSuccessfully) response.Result.Dispose();
    }

    /// <summary>PROTOCOL-HTTP2: Errors → HTTP/2 RST_STREAM and GOAWAY codes to gRPC status.</summary>
    private static RpcException FromHttp2Error(HttpProtocolException e)
    {
        var code = e.ErrorCode switch
        {
            0x7 => GrpcStatusCode.Unavailable, // REFUSED_STREAM
            0x8 => GrpcStatusCode.Cancelled, // CANCEL
            0xB => GrpcStatusCode.ResourceExhausted, // ENHANCE_YOUR_CALM
            0xC => GrpcStatusCode.PermissionDenied, // INADEQUATE_SECURITY
            _ => GrpcStatusCode.Internal,
        };
        return new RpcException(code, $"HTTP/2 error 0x{e.ErrorCode:X}: {e.Message}");
    }

    /// <summary>grpc doc/http-grpc-status-mapping.md, for responses that are not gRPC.</summary>
    private static GrpcStatusCode FromHttpStatus(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => GrpcStatusCode.Internal,
        HttpStatusCode.Unauthorized => GrpcStatusCode.Unauthenticated,
        HttpStatusCode.Forbidden => GrpcStatusCode.PermissionDenied,
        HttpStatusCode.NotFound => GrpcStatusCode.Unimplemented,
        HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
            => GrpcStatusCode.Unavailable,
        _ => GrpcStatusCode.Unknown,
    };

    private static Metadata ToMetadata(System.Net.Http.Headers.HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (var (key, values) in headers)
        {
            if (key.Equals(GrpcHeaders.Status, StringComparison.OrdinalIgnoreCase) || key.Equals(GrpcHeaders.Message, StringComparison.OrdinalIgnoreCase)
                || Metadata.IsReserved(key.ToLowerInvariant()))
                continue;
            foreach (var value in values) metadata.AddWire(key, value);
        }
        return metadata;
    }

    private sealed class RequestWriter(GrpcClientCall<TRequest, TResponse> call) : IGrpcRequestStream<TRequest>
    {
        private bool _completed;

        public async Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
        {
            if (_completed) throw new InvalidOperationException("The request stream is already complete.");
            var frame = call._codec.Frame(message);
            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call._cancellation.Token);
                await call._content.Frames.WriteAsync(frame, linked.Token);
            }
            catch (Exception e) when (e is ChannelClosedException or OperationCanceledException or ObjectDisposedException)
            {
                // The request body ended under us: a Trailers-Only error tells why; a response stream keeps its status for the reader.
                try { await call.OpenAsync(); } catch (Exception) { }
                if (call._status is not null || call._done || call._cancellation.IsCancellationRequested) throw call.Fail(e);
                throw new InvalidOperationException("The call no longer accepts requests; read the responses for its status.", e);
            }
        }

        public Task CompleteAsync()
        {
            _completed = true;
            call._content.Frames.TryComplete();
            return Task.CompletedTask;
        }
    }
}
