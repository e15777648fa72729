namespace WsssOnnx.Grpc.Client;

/// <summary>Options of a <see cref="GrpcClientChannel"/>.</summary>
public sealed record GrpcClientOptions
{
    /// <summary>Largest response message accepted, in bytes, after decompression (default 16 MiB). Larger → RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest request message sent, in bytes (default unlimited). Larger → RESOURCE_EXHAUSTED before sending.</summary>
    public int MaxSendMessageSize { get; init; } = int.MaxValue;

    /// <summary>Gzip every request message (grpc-encoding: gzip). Default off.</summary>
    public bool CompressRequests { get; init; }

    /// <summary>Offer gzip in grpc-accept-encoding so the server may compress responses. Default on.</summary>
    public bool AcceptCompressedResponses { get; init; } = true;

    /// <summary>Deadline of calls whose <see cref="GrpcCallOptions.Deadline"/> is null, counted from the call's start; null for none.</summary>
    public TimeSpan? DefaultTimeout { get; init; }

    /// <summary>The HTTP handler to send through (e.g. one with custom TLS validation); the channel disposes it. Null for a default <see cref="SocketsHttpHandler"/>.</summary>
    public HttpMessageHandler? Handler { get; init; }

    internal void Validate()
    {
        if (MaxReceiveMessageSize < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxReceiveMessageSize), MaxReceiveMessageSize, "MaxReceiveMessageSize must be in [1, 2^31-1] bytes.");
        if (MaxSendMessageSize < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxSendMessageSize), MaxSendMessageSize, "MaxSendMessageSize must be in [1, 2^31-1] bytes.");
        if (DefaultTimeout is { } t && t <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(DefaultTimeout), t, "DefaultTimeout must be > 0 or null.");
    }
}

/// <summary>Per-call options.</summary>
public sealed record GrpcCallOptions
{
    /// <summary>UTC deadline, sent as grpc-timeout and enforced here too (DEADLINE_EXCEEDED). Null: the channel's default timeout.</summary>
    public DateTime? Deadline { get; init; }

    /// <summary>Cancels the call (RST_STREAM to the server; CANCELLED here).</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Custom request metadata.</summary>
    public Metadata? Headers { get; init; }
}

/// <summary>A unary response with the call's response headers and trailers.</summary>
public sealed record GrpcUnaryResult<TResponse>(TResponse Response, Metadata Headers, Metadata Trailers);

/// <summary>The request side of a client- or duplex-streaming call.</summary>
public interface IGrpcRequestStream<in T> : IGrpcStreamWriter<T>
{
    /// <summary>Ends the request stream (END_STREAM); no write may follow.</summary>
    Task CompleteAsync();
}
