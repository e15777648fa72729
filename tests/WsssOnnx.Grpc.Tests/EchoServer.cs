using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using WsssOnnx.Grpc.Client;
using WsssOnnx.Grpc.Health;
using WsssOnnx.Grpc.Reflection;
using WsssOnnx.Protos.Health.V1;
using WsssOnnx.Grpc.Server;

namespace WsssOnnx.Grpc.Tests;

/// <summary>The echo and health services on 127.0.0.1, a free port; errors the server logs are kept in <see cref="Logged"/>.</summary>
public sealed class EchoServer : IAsyncLifetime
{
    private GrpcHost? _host;

    internal EchoService Echo { get; } = new();

    public HealthService Health { get; } = new();

    public ConcurrentQueue<string> Logged { get; } = new();

    public GrpcServerOptions Options { get; init; } = new() { ResponseCompression = true };

    public int Port => _host!.GrpcPort;

    public string Address => $"http://127.0.0.1:{Port}";

    public GrpcClientChannel Channel(GrpcClientOptions? options = null) => new(Address, options);

    public GrpcTransportLimits Limits { get; init; } = new();

    public static async Task<EchoServer> StartAsync(GrpcServerOptions options, GrpcTransportLimits? limits = null)
    {
        var server = new EchoServer { Options = options, Limits = limits ?? new() };
        await server.InitializeAsync();
        return server;
    }

    public async Task InitializeAsync()
    {
        var router = Health.AddTo(Echo.AddTo(new GrpcServiceRouter()));
        // Echo's messages are well-known types: described by their own files.
        new ReflectionService(router, HealthReflection.Descriptor, Google.Protobuf.WellKnownTypes.WrappersReflection.Descriptor,
            Google.Protobuf.WellKnownTypes.EmptyReflection.Descriptor).AddToRouter();
        var options = new GrpcHostOptions { GrpcEndpoint = new IPEndPoint(IPAddress.Loopback, 0), Server = Options, Limits = Limits, ShutdownTimeout = TimeSpan.FromSeconds(1) };
        _host = await GrpcHost.StartAsync(router, options, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(new QueueLoggerProvider(Logged));
        });
    }

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }

    private sealed class QueueLoggerProvider(ConcurrentQueue<string> queue) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new QueueLogger(queue);

        public void Dispose() { }
    }

    private sealed class QueueLogger(ConcurrentQueue<string> queue) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) queue.Enqueue($"{formatter(state, exception)} | {exception?.Message}");
        }
    }
}
