using Google.Protobuf;

namespace WsssOnnx.Grpc;

/// <summary>How many messages each side of a call sends.</summary>
public enum GrpcMethodKind
{
    /// <summary>One request, one response.</summary>
    Unary,
    /// <summary>One request, a stream of responses.</summary>
    ServerStreaming,
    /// <summary>A stream of requests, one response.</summary>
    ClientStreaming,
    /// <summary>A stream each way.</summary>
    DuplexStreaming,
}

/// <summary>Describes one RPC: its path "/package.Service/Method", kind and message parsers. Shared by server and client.</summary>
public sealed class GrpcMethod<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    /// <summary>Creates the descriptor of <paramref name="serviceName"/>/<paramref name="methodName"/>.</summary>
    /// <param name="kind">Call kind.</param>
    /// <param name="serviceName">Fully qualified service name, e.g. "wsss.v1.Segmenter".</param>
    /// <param name="methodName">Method name, e.g. "Segment".</param>
    /// <param name="requestParser">Parser of the request message, e.g. <c>SegmentRequest.Parser</c>.</param>
    /// <param name="responseParser">Parser of the response message.</param>
    public GrpcMethod(GrpcMethodKind kind, string serviceName, string methodName,
        MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(methodName);
        Kind = kind;
        ServiceName = serviceName;
        MethodName = methodName;
        RequestParser = requestParser;
        ResponseParser = responseParser;
        FullName = $"/{serviceName}/{methodName}";
    }

    /// <summary>Call kind.</summary>
    public GrpcMethodKind Kind { get; }

    /// <summary>Fully qualified service name.</summary>
    public string ServiceName { get; }

    /// <summary>Method name.</summary>
    public string MethodName { get; }

    /// <summary>The HTTP/2 :path, "/package.Service/Method".</summary>
    public string FullName { get; }

    /// <summary>Request parser.</summary>
    public MessageParser<TRequest> RequestParser { get; }

    /// <summary>Response parser.</summary>
    public MessageParser<TResponse> ResponseParser { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind} {FullName}";
}
