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

    private GrpcHost(WebApplication app, ListenOptions grpcListen, ListenOptions? httpListen)
    {
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
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        ListenOptions? grpcListen = null, httpListen = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Streams may be long and slow (a client uploading images one by one): no body size or data-rate limits.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Listen(options.GrpcEndpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
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
        var app = builder.Build();
        var host = new GrpcHost(app, grpcListen!, httpListen);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("WsssOnnx.Grpc");
        app.Use(async (context, next) =>
        {
            if (host._httpListen is not null && context.Connection.LocalPort != host.GrpcPort)
                await next(context);
            else
                await GrpcServerCall.HandleAsync(context, router, options.Server, logger);
        });
        configureHttp?.Invoke(app);
        await app.StartAsync(cancellationToken);
        return host;
    }

    /// <summary>Stops accepting calls, lets in-flight ones finish for up to <see cref="GrpcHostOptions.ShutdownTimeout"/>, then aborts them.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Stops (if running) and releases the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
