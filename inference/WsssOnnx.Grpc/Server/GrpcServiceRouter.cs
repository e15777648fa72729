using Google.Protobuf;

namespace WsssOnnx.Grpc.Server;

/// <summary>
/// The methods a server serves, by path. Register everything before the host starts; unknown paths get UNIMPLEMENTED.
/// </summary>
public sealed class GrpcServiceRouter
{
    private readonly Dictionary<string, Func<GrpcServerCall, Task>> _methods = new(StringComparer.Ordinal);

    /// <summary>Paths of the registered methods.</summary>
    public IReadOnlyCollection<string> Methods => _methods.Keys;

    /// <summary>Serves a unary method: one request in, the returned response out.</summary>
    public GrpcServiceRouter AddUnary<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method,
        Func<TRequest, GrpcServerCallContext, Task<TResponse>> handler)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        Add(method, GrpcMethodKind.Unary, async call =>
        {
            var request = await call.ReadSingleAsync(method.RequestParser);
            var response = await handler(request, call.Context);
            await call.WriteAsync(response, call.Context.CancellationToken);
        });

    /// <summary>Serves a server-streaming method: one request in, the handler writes the responses.</summary>
    public GrpcServiceRouter AddServerStreaming<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method,
        Func<TRequest, IGrpcStreamWriter<TResponse>, GrpcServerCallContext, Task> handler)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        Add(method, GrpcMethodKind.ServerStreaming, async call =>
        {
            var request = await call.ReadSingleAsync(method.RequestParser);
            await handler(request, new GrpcServerStreamWriter<TResponse>(call), call.Context);
        });

    /// <summary>Serves a client-streaming method: the handler reads the requests and returns one response.</summary>
    public GrpcServiceRouter AddClientStreaming<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method,
        Func<IAsyncEnumerable<TRequest>, GrpcServerCallContext, Task<TResponse>> handler)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        Add(method, GrpcMethodKind.ClientStreaming, async call =>
        {
            var response = await handler(call.ReadAllAsync(method.RequestParser), call.Context);
            await call.WriteAsync(response, call.Context.CancellationToken);
        });

    /// <summary>Serves a duplex method: the handler reads requests and writes responses in any interleaving.</summary>
    public GrpcServiceRouter AddDuplex<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method,
        Func<IAsyncEnumerable<TRequest>, IGrpcStreamWriter<TResponse>, GrpcServerCallContext, Task> handler)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse> =>
        Add(method, GrpcMethodKind.DuplexStreaming, call =>
            handler(call.ReadAllAsync(method.RequestParser), new GrpcServerStreamWriter<TResponse>(call), call.Context));

    internal Func<GrpcServerCall, Task>? Find(string path) => _methods.GetValueOrDefault(path);

    private GrpcServiceRouter Add<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, GrpcMethodKind kind, Func<GrpcServerCall, Task> run)
        where TRequest : class, IMessage<TRequest> where TResponse : class, IMessage<TResponse>
    {
        if (method.Kind != kind)
            throw new ArgumentException($"{method.FullName} is {method.Kind}; this registration is for {kind}.", nameof(method));
        if (!_methods.TryAdd(method.FullName, run))
            throw new ArgumentException($"{method.FullName} is already registered.", nameof(method));
        return this;
    }

    private sealed class GrpcServerStreamWriter<T>(GrpcServerCall call) : IGrpcStreamWriter<T> where T : IMessage
    {
        public Task WriteAsync(T message, CancellationToken cancellationToken = default) => call.WriteAsync(message, cancellationToken);
    }
}
