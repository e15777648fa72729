namespace WsssOnnx.Grpc.Server;

/// <summary>
/// Bounds on what clients can make the transport hold: connections, streams, flow-control windows, bytes of partly
/// received messages and how long a message may stay partial. Each refusal is a gRPC status or an HTTP/2 frame
/// (GOAWAY, RST_STREAM), and is reported to <see cref="Refused"/>.
/// </summary>
public sealed record GrpcTransportLimits
{
    /// <summary>The name <see cref="Refused"/> gets for a connection over <see cref="MaxConnections"/>.</summary>
    public const string Connections = "connections";

    /// <summary>The name <see cref="Refused"/> gets for a stream over <see cref="MaxStreamsPerConnection"/> (reset with REFUSED_STREAM).</summary>
    public const string Streams = "streams";

    /// <summary>The name <see cref="Refused"/> gets for a message over <see cref="MaxIncompleteBytesPerConnection"/>.</summary>
    public const string ConnectionBuffer = "connection_buffer";

    /// <summary>The name <see cref="Refused"/> gets for a message over <see cref="MaxIncompleteBytesPerServer"/>.</summary>
    public const string ServerBuffer = "server_buffer";

    /// <summary>The name <see cref="Refused"/> gets for a message that stalled or arrived too slowly.</summary>
    public const string MessageTimeout = "message_timeout";

    /// <summary>
    /// Connections at once on the gRPC endpoint (default 1000). One more is sent GOAWAY with last-stream-id 0 at once
    /// (RFC 9113 6.8: no stream was processed, so the client may retry it elsewhere); a request that raced the GOAWAY
    /// gets UNAVAILABLE.
    /// </summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>
    /// SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 6.5.2; default 100). Clients queue calls beyond it; a stream opened over
    /// it anyway is reset with REFUSED_STREAM (RFC 9113 5.1.2), which a client may retry.
    /// </summary>
    public int MaxStreamsPerConnection { get; init; } = 100;

    /// <summary>
    /// SETTINGS_INITIAL_WINDOW_SIZE (RFC 9113 6.5.2, 6.9.2): bytes a client may send on one stream ahead of what the
    /// server has read (default 768 KiB). A stream the server stops reading holds at most this much unread.
    /// </summary>
    public int InitialStreamWindowSize { get; init; } = 768 * 1024;

    /// <summary>The connection's flow-control window (RFC 9113 6.9.2) over all its streams (default 1 MiB).</summary>
    public int InitialConnectionWindowSize { get; init; } = 1024 * 1024;

    /// <summary>
    /// Bytes of partly received messages the streams of one connection may hold together (default 64 MiB). A message
    /// that would take it over gets RESOURCE_EXHAUSTED as soon as its length prefix arrives. (One stream holds at most
    /// one message, of at most <see cref="GrpcServerOptions.MaxReceiveMessageSize"/>.)
    /// </summary>
    public long MaxIncompleteBytesPerConnection { get; init; } = 64L << 20;

    /// <summary>As <see cref="MaxIncompleteBytesPerConnection"/>, over every connection of the server (default 512 MiB).</summary>
    public long MaxIncompleteBytesPerServer { get; init; } = 512L << 20;

    /// <summary>
    /// Longest time a partly received message may go without a new byte (default 10 s); the call then ends with
    /// RESOURCE_EXHAUSTED. Time between messages is not limited: streams may idle. Nor is time during which a handler
    /// holds another stream of the same connection between messages, unless it waits for its client to read a reply: that
    /// stream's unread data may fill the connection's flow-control window, and then the client cannot send. (The
    /// incomplete-message budgets still bound the bytes held.)
    /// </summary>
    public TimeSpan IncompleteMessageIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Slowest average rate, in bytes per second, a message may arrive at once its first byte is in (default 32 KiB/s):
    /// a message of n bytes must be complete within <see cref="IncompleteMessageIdleTimeout"/> + n / rate.
    /// </summary>
    public int MinMessageDataRate { get; init; } = 32 * 1024;

    /// <summary>Time a client has to send a request's headers (Kestrel's RequestHeadersTimeout; default 30 s).</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A connection silent this long gets a PING (RFC 9113 6.7; default 60 s), and is closed when the answer does not
    /// come within <see cref="KeepAlivePingTimeout"/>: half-open connections do not pile up.
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a keep-alive PING may go unanswered (default 20 s).</summary>
    public TimeSpan KeepAlivePingTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Called with the limit's name (<see cref="Connections"/>, <see cref="ConnectionBuffer"/>, <see cref="ServerBuffer"/>,
    /// <see cref="MessageTimeout"/>) each time one refuses a connection or ends a call. For metrics; keep it cheap.
    /// </summary>
    public Action<string>? Refused { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first limit out of range.</summary>
    public GrpcTransportLimits Validate()
    {
        if (MaxConnections < 1) throw new ArgumentOutOfRangeException(nameof(MaxConnections), MaxConnections, "MaxConnections must be >= 1.");
        if (MaxStreamsPerConnection < 1) throw new ArgumentOutOfRangeException(nameof(MaxStreamsPerConnection), MaxStreamsPerConnection, "MaxStreamsPerConnection must be >= 1.");
        // RFC 9113 6.9.2: windows are at least the default 65 535 and at most 2^31-1.
        if (InitialStreamWindowSize < 65_535) throw new ArgumentOutOfRangeException(nameof(InitialStreamWindowSize), InitialStreamWindowSize, "InitialStreamWindowSize must be in [65535, 2^31-1].");
        if (InitialConnectionWindowSize < 65_535)
            throw new ArgumentOutOfRangeException(nameof(InitialConnectionWindowSize), InitialConnectionWindowSize, "InitialConnectionWindowSize must be in [65535, 2^31-1].");
        if (MaxIncompleteBytesPerConnection < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxIncompleteBytesPerConnection), MaxIncompleteBytesPerConnection, "MaxIncompleteBytesPerConnection must be >= 1.");
        if (MaxIncompleteBytesPerServer < 1) throw new ArgumentOutOfRangeException(nameof(MaxIncompleteBytesPerServer), MaxIncompleteBytesPerServer, "MaxIncompleteBytesPerServer must be >= 1.");
        if (IncompleteMessageIdleTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(IncompleteMessageIdleTimeout), IncompleteMessageIdleTimeout, "IncompleteMessageIdleTimeout must be > 0.");
        if (MinMessageDataRate < 1) throw new ArgumentOutOfRangeException(nameof(MinMessageDataRate), MinMessageDataRate, "MinMessageDataRate must be >= 1 byte/s.");
        if (RequestHeadersTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RequestHeadersTimeout), RequestHeadersTimeout, "RequestHeadersTimeout must be > 0.");
        if (KeepAlivePingDelay <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(KeepAlivePingDelay), KeepAlivePingDelay, "KeepAlivePingDelay must be > 0.");
        if (KeepAlivePingTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(KeepAlivePingTimeout), KeepAlivePingTimeout, "KeepAlivePingTimeout must be > 0.");
        return this;
    }
}
