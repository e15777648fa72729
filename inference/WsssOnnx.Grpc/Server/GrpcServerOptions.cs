namespace WsssOnnx.Grpc.Server;

/// <summary>Per-server protocol limits and compression. Defaults follow grpc-core.</summary>
public sealed record GrpcServerOptions
{
    /// <summary>Largest request message accepted, in bytes, after decompression (default 16 MiB). Larger → RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest response message sent, in bytes (default unlimited). Larger → the call ends with RESOURCE_EXHAUSTED.</summary>
    public int MaxSendMessageSize { get; init; } = int.MaxValue;

    /// <summary>Gzip response messages when the client's grpc-accept-encoding lists gzip (default off).</summary>
    public bool ResponseCompression { get; init; }

    /// <summary>
    /// Called once per gRPC call when it ends, with its status, including calls the layer answers itself (unknown
    /// method, oversize or unparsable message, expired deadline) and calls whose client left (CANCELLED). For metrics;
    /// it runs on the request's thread, so keep it cheap.
    /// </summary>
    public Action<GrpcCallCompletion>? CallCompleted { get; init; }

    internal void Validate()
    {
        if (MaxReceiveMessageSize < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxReceiveMessageSize), MaxReceiveMessageSize, "MaxReceiveMessageSize must be in [1, 2^31-1] bytes.");
        if (MaxSendMessageSize < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxSendMessageSize), MaxSendMessageSize, "MaxSendMessageSize must be in [1, 2^31-1] bytes.");
    }
}

/// <summary>One finished call: its method path (or <see cref="UnknownMethod"/>), status and duration.</summary>
public sealed record GrpcCallCompletion(string Method, GrpcStatusCode Status, TimeSpan Elapsed)
{
    /// <summary>The method name reported for paths no service serves.</summary>
    public const string UnknownMethod = "unknown";
}
