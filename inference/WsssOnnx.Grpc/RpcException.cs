namespace WsssOnnx.Grpc;

/// <summary>A call that ended with a non-OK status. Thrown by the client; thrown by a handler to choose the status it returns.</summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates the exception for <paramref name="statusCode"/> with the status message <paramref name="detail"/>.</summary>
    public RpcException(GrpcStatusCode statusCode, string detail, Metadata? trailers = null)
        : base($"Status(StatusCode=\"{statusCode}\", Detail=\"{detail}\")")
    {
        StatusCode = statusCode;
        Detail = detail;
        Trailers = trailers ?? new Metadata();
    }

    /// <summary>The status code.</summary>
    public GrpcStatusCode StatusCode { get; }

    /// <summary>The status message (<c>grpc-message</c>), decoded.</summary>
    public string Detail { get; }

    /// <summary>Trailing metadata: received by the client, or sent by the server along with the status.</summary>
    public Metadata Trailers { get; }
}
