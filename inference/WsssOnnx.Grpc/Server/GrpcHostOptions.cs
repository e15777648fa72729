using System.Net;

namespace WsssOnnx.Grpc.Server;

/// <summary>Where <see cref="GrpcHost"/> listens, and how.</summary>
public sealed record GrpcHostOptions
{
    /// <summary>The gRPC endpoint, HTTP/2 only (h2c by prior knowledge, or TLS with ALPN h2). Port 0 picks a free port.</summary>
    public IPEndPoint GrpcEndpoint { get; init; } = new(IPAddress.Loopback, 50051);

    /// <summary>An optional HTTP/1.1 endpoint for ordinary endpoints (metrics, probes), mapped by the caller. Port 0 picks a free port.</summary>
    public IPEndPoint? HttpEndpoint { get; init; }

    /// <summary>A PFX certificate for TLS on the gRPC endpoint; null serves cleartext h2c.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>Password of <see cref="CertificatePath"/>, if any.</summary>
    public string? CertificatePassword { get; init; }

    /// <summary>How long <see cref="GrpcHost.StopAsync"/> lets in-flight calls finish before aborting them (default 5 s).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Message limits and compression.</summary>
    public GrpcServerOptions Server { get; init; } = new();

    /// <summary>Connections, streams, flow-control windows, partly received messages.</summary>
    public GrpcTransportLimits Limits { get; init; } = new();

    internal void Validate()
    {
        Server.Validate();
        Limits.Validate();
        if (HttpEndpoint is not null && HttpEndpoint.Port != 0 && HttpEndpoint.Port == GrpcEndpoint.Port)
            throw new ArgumentException("HttpEndpoint must use another port than GrpcEndpoint.", nameof(HttpEndpoint));
        if (ShutdownTimeout < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout), ShutdownTimeout, "ShutdownTimeout must be >= 0.");
        if (CertificatePath is not null && !File.Exists(CertificatePath))
            throw new ArgumentException($"CertificatePath '{CertificatePath}' does not exist.", nameof(CertificatePath));
    }
}
