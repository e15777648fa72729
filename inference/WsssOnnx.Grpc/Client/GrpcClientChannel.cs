using Google.Protobuf;

namespace WsssOnnx.Grpc.Client;

/// <summary>
/// A client for one server address ("http://host:port" for h2c by prior knowledge, "https://..." for TLS).
/// Calls share the HTTP/2 connection; thread-safe; dispose to close the connection.
/// </summary>
public sealed class GrpcClientChannel : IDisposable
{
    private readonly HttpMessageInvoker _invoker;
    private readonly GrpcClientOptions _options;

    /// <summary>Creates a channel to <paramref name="address"/>; nothing connects until the first call.</summary>
    public GrpcClientChannel(string address, GrpcClientOptions? options = null)
    {
        _options = options ?? new GrpcClientOptions();
        _options.Validate();
        Address = new Uri(address, UriKind.Absolute);
        if (Address.Scheme != Uri.UriSchemeHttp && Address.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException($"Address '{address}' must be http:// (h2c) or https://.", nameof(address));
        _invoker = new HttpMessageInvoker(_options.Handler ?? new SocketsHttpHandler
        {
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        }, disposeHandler: true);
    }

    /// <summary>The server address.</summary>
    public Uri Address { get; }

    /// <summary>Calls a unary method and returns its response; a non-OK status throws <see cref="RpcException"/>.</summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request, GrpcCallOptions? options = null)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        (await UnaryWithMetadataAsync(method, request, options)).Response;

    /// <summary>Calls a unary method and returns its response with the response headers and trailers.</summary>
    public async Task<GrpcUnaryResult<TResponse>> UnaryWithMetadataAsync<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method,
        TRequest request, GrpcCallOptions? options = null)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse>
    {
        using var call = Start(method, GrpcMethodKind.Unary, options, request);
        var response = await call.ResponseAsync();
        return new GrpcUnaryResult<TResponse>(response, await call.ResponseHeadersAsync(), call.GetTrailers());
    }

    /// <summary>Starts a server-streaming call; read it with <see cref="GrpcClientCall{TRequest,TResponse}.ReadAllAsync"/>.</summary>
    public GrpcClientCall<TRequest, TResponse> ServerStreaming<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method,
        TRequest request, GrpcCallOptions? options = null)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        Start(method, GrpcMethodKind.ServerStreaming, options, request);

    /// <summary>Starts a client-streaming call: write to its RequestStream, complete it, then await ResponseAsync.</summary>
    public GrpcClientCall<TRequest, TResponse> ClientStreaming<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method,
        GrpcCallOptions? options = null)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        Start(method, GrpcMethodKind.ClientStreaming, options, null);

    /// <summary>Starts a duplex call: write to its RequestStream and read responses concurrently.</summary>
    public GrpcClientCall<TRequest, TResponse> Duplex<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method,
        GrpcCallOptions? options = null)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        Start(method, GrpcMethodKind.DuplexStreaming, options, null);

    /// <summary>Closes the connection; calls in progress fail.</summary>
    public void Dispose() => _invoker.Dispose();

    private GrpcClientCall<TRequest, TResponse> Start<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, GrpcMethodKind kind,
        GrpcCallOptions? options, TRequest? request)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse>
    {
        if (method.Kind != kind)
            throw new ArgumentException($"{method.FullName} is {method.Kind}, not {kind}.", nameof(method));
        return new GrpcClientCall<TRequest, TResponse>(_invoker, Address, _options, method, options ?? new GrpcCallOptions(), request);
    }
}
