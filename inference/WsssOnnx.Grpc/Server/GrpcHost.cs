using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WsssOnnx.Grpc.Server;

/// <summary>
/// A Kestrel server: the gRPC endpoint serves the router's methods (HTTP/2 only); the optional HTTP/1.1 endpoint
/// serves whatever the caller maps on the <see cref="WebApplication"/>.
/// </summary>
public sealed class GrpcHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ListenOptions _grpcListen;
    private readonly ListenOptions? _httpListen;
    private readonly TimeSpan _shutdownTimeout;
    // Fires when the shutdown timeout has passed: the calls still running or queued end with UNAVAILABLE.
    private readonly CancellationTokenSource _abandon;

    /// <summary>
    /// How long calls abandoned at the shutdown timeout get to write their UNAVAILABLE status before Kestrel aborts
    /// their connections.
    /// </summary>
    internal static readonly TimeSpan StatusWriteTime = TimeSpan.FromSeconds(2);

    private GrpcHost(WebApplication app, ListenOptions grpcListen, ListenOptions? httpListen, TimeSpan shutdownTimeout, CancellationTokenSource abandon)
    {
        _abandon = abandon;
        _shutdownTimeout = shutdownTimeout;
        _app = app;
        _grpcListen = grpcListen;
        _httpListen = httpListen;
    }

    /// <summary>The bound gRPC port (the real one when the options said 0).</summary>
    public int GrpcPort => _grpcListen.IPEndPoint!.Port;

    /// <summary>The bound HTTP/1.1 port, or null when there is no HTTP endpoint.</summary>
    public int? HttpPort => _httpListen?.IPEndPoint!.Port;

    /// <summary>The application's services (logging, whatever <c>configureBuilder</c> added).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Builds and starts the server.</summary>
    /// <param name="router">The gRPC methods.</param>
    /// <param name="options">Endpoints, TLS, limits.</param>
    /// <param name="configureBuilder">Adds services or logging providers before the application is built.</param>
    /// <param name="configureHttp">Maps HTTP/1.1 endpoints (e.g. <c>app.MapGet("/metrics", ...)</c>); they answer on <see cref="GrpcHostOptions.HttpEndpoint"/> only.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    public static async Task<GrpcHost> StartAsync(GrpcServiceRouter router, GrpcHostOptions options,
        Action<WebApplicationBuilder>? configureBuilder = null, Action<WebApplication>? configureHttp = null,
        CancellationToken cancellationToken = default)
    {
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder();
        // Kestrel's hard stop comes after ours (StopAsync), which ends the remaining calls with a status first.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout + StatusWriteTime);
        ListenOptions? grpcListen = null, httpListen = null;
        var abandon = new CancellationTokenSource();
        var limits = options.Limits;
        GrpcEndpoint? endpoint = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Streams may be long and slow (a client uploading images one by one, idle between them): no body size or
            // Kestrel data-rate limits, which would end idle streams; a message that stalls half-sent is bounded by
            // GrpcTransportLimits in the codec instead.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
            var http2 = kestrel.Limits.Http2;
            http2.MaxStreamsPerConnection = limits.MaxStreamsPerConnection;
            http2.InitialStreamWindowSize = limits.InitialStreamWindowSize;
            http2.InitialConnectionWindowSize = limits.InitialConnectionWindowSize;
            http2.KeepAlivePingDelay = limits.KeepAlivePingDelay;
            http2.KeepAlivePingTimeout = limits.KeepAlivePingTimeout;
            kestrel.Listen(options.GrpcEndpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(next => endpoint!.Admit(next));
                if (options.CertificatePath is not null) listen.UseHttps(options.CertificatePath, options.CertificatePassword);
                grpcListen = listen;
            });
            if (options.HttpEndpoint is not null)
                kestrel.Listen(options.HttpEndpoint, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    httpListen = listen;
                });
        });
        configureBuilder?.Invoke(builder);
        // After the caller's logging set-up, which may clear providers.
        if (limits.Refused is { } refused)
        {
            builder.Logging.AddProvider(new RefusedStreamLog(() => refused(GrpcTransportLimits.Streams)));
            builder.Logging.AddFilter<RefusedStreamLog>(RefusedStreamLog.Category, LogLevel.Debug);
        }
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("WsssOnnx.Grpc");
        endpoint = new GrpcEndpoint(router, options.Server, limits, logger, abandon.Token);
        var host = new GrpcHost(app, grpcListen!, httpListen, options.ShutdownTimeout, abandon);
        app.Use(async (context, next) =>
        {
            if (host._httpListen is not null && context.Connection.LocalPort != host.GrpcPort)
                await next(context);
            else
                await GrpcServerCall.HandleAsync(context, endpoint);
        });
        configureHttp?.Invoke(app);
        await app.StartAsync(cancellationToken);
        return host;
    }

    /// <summary>
    /// Stops accepting connections and sends GOAWAY on the open ones (RFC 9113 6.8), lets in-flight calls finish for up
    /// to <see cref="GrpcHostOptions.ShutdownTimeout"/>, then ends those still running or waiting with UNAVAILABLE
    /// (a status, not a reset), and closes the connections.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_abandon.IsCancellationRequested) _abandon.CancelAfter(_shutdownTimeout);
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops (if running) and releases the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        _abandon.Dispose();
    }
}
