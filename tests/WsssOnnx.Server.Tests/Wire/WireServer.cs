using System.Globalization;
using System.Net;
using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using WsssOnnx.Grpc;
using WsssOnnx.Grpc.Client;
using WsssOnnx.Grpc.Server;
using WsssOnnx.Protos.Wsss.V1;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>
/// The wire tests run one at a time, after the other tests: they start servers of their own, time deadlines and
/// measure the process's memory, none of which should compete with parallel work on a 2-core machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WireCollection
{
    public const string Name = "wire";
}

/// <summary>
/// A <see cref="WsssServer"/> on 127.0.0.1 port 0 (metrics on port 0 too) over a <see cref="TestModels"/> folder,
/// with our client connected to it. Requests it builds are cheap: AdvCAM with few steps at scale 1.0 only.
/// </summary>
public sealed class WireServer : IAsyncDisposable
{
    /// <summary>The server's largest request message in these tests (small, so an oversize message is cheap to send).</summary>
    public const int MaxReceiveMessageSize = 2 * 1024 * 1024;

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private WireServer(TestModels models, WsssServer server)
    {
        Models = models;
        Server = server;
        Address = $"http://127.0.0.1:{server.GrpcPort}";
        Client = new GrpcClientChannel(Address);
    }

    public TestModels Models { get; }

    public WsssServer Server { get; }

    public GrpcClientChannel Client { get; }

    /// <summary>"http://127.0.0.1:port".</summary>
    public string Address { get; }

    /// <summary>
    /// Starts a server over versions (default "1" and "2"; the newest is active). The options default to a 2-slot
    /// admission with a queue of 16 and no directory watch; <paramref name="configure"/> changes them.
    /// </summary>
    public static Task<WireServer> StartAsync(Func<ServiceOptions, ServiceOptions>? configure = null, params string[] versions) =>
        StartAsync(configure, null, null, versions);

    /// <summary>As above, with the server's log going to <paramref name="log"/> (all levels) and transport <paramref name="limits"/>.</summary>
    public static async Task<WireServer> StartAsync(Func<ServiceOptions, ServiceOptions>? configure, LogCapture? log, GrpcTransportLimits? limits,
        params string[] versions)
    {
        var models = new TestModels(versions.Length > 0 ? versions : ["1", "2"]);
        try
        {
            var options = new ServiceOptions
            {
                ModelsRoot = models.Root,
                ConcurrencyLimit = 2,
                QueueCapacity = 16,
                DefaultStreamInFlight = 2,
                WatchModels = false,
                DrainTimeout = TimeSpan.FromSeconds(10),
                ShutdownGrace = TimeSpan.Zero,
            };
            var host = new GrpcHostOptions
            {
                GrpcEndpoint = new IPEndPoint(IPAddress.Loopback, 0),
                HttpEndpoint = new IPEndPoint(IPAddress.Loopback, 0),
                Server = new GrpcServerOptions { MaxReceiveMessageSize = MaxReceiveMessageSize },
                Limits = limits ?? new GrpcTransportLimits(),
            };
            var server = await WsssServer.StartAsync(configure?.Invoke(options) ?? options, host,
                log is null ? null : logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(log));
            return new WireServer(models, server);
        }
        catch
        {
            models.Dispose();
            throw;
        }
    }

    /// <summary>GET /metrics on the metrics port.</summary>
    public Task<string> MetricsAsync() => _http.GetStringAsync($"http://127.0.0.1:{Server.MetricsPort}/metrics");

    /// <summary>The sum of the series of <paramref name="name"/> (a counter or gauge) whose labels contain <paramref name="label"/>.</summary>
    public static double Metric(string metrics, string name, string label = "") =>
        metrics.Split('\n')
            .Where(l => (l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
                && l.Contains(label, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    /// <summary>The sum of wsss_requests_total over the series with code="<paramref name="code"/>" (and the method, if named).</summary>
    public static double RequestCount(string metrics, string code, string? method = null) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith("wsss_requests_total{", StringComparison.Ordinal) && l.Contains($"code=\"{code}\"", StringComparison.Ordinal)
                && (method is null || l.Contains($"method=\"{method}\"", StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    /// <summary>Waits until no request runs or waits for admission (cancelled work may take a step to notice).</summary>
    public async Task<ServerStatus> IdleStatusAsync(TimeSpan? within = null)
    {
        var end = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var status = await Client.UnaryAsync(WsssApi.GetStatus, new GetStatusRequest());
            if ((status.Running == 0 && status.Queued == 0) || DateTime.UtcNow > end) return status;
            await Task.Delay(50);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test naming <paramref name="what"/> after <paramref name="within"/> (10 s).</summary>
    public static async Task Until(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        var end = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < end, $"timed out waiting until {what}");
            await Task.Delay(10);
        }
    }

    public static Task Until(Func<bool> condition, string what, TimeSpan? within = null) => Until(() => Task.FromResult(condition()), what, within);

    public static (string Id, byte[] Jpeg, IReadOnlyList<string> Classes) Sample => TestModels.Samples[0];

    public static SegmentRequest Segment(byte[]? image = null, string? version = null) => new()
    {
        Image = ByteString.CopyFrom(image ?? Sample.Jpeg),
        Model = new ModelSelector { Version = version ?? "" },
        Encoding = LabelEncoding.Raw,
    };

    /// <summary>AdvCAM with <paramref name="steps"/> steps at scale 1.0 on the first sample and its first class; seeds only.</summary>
    public static AttributeRequest Attribute(uint steps = 2, AttributionMethod method = AttributionMethod.Advcam, Action<AttributeRequest>? change = null)
    {
        var request = new AttributeRequest
        {
            Image = ByteString.CopyFrom(Sample.Jpeg),
            Method = method,
            Parameters = new AdvCamParameters { Steps = steps, Scales = { 1.0f } },
            Labels = { LabelKind.Seeds },
            LabelEncoding = LabelEncoding.Raw,
        };
        request.Classes.Add(Sample.Classes[0]);
        change?.Invoke(request);
        return request;
    }

    /// <summary>Runs <paramref name="call"/> and returns the status it failed with (OK when it did not).</summary>
    public static async Task<(GrpcStatusCode Code, string Detail)> StatusOf(Func<Task> call)
    {
        try
        {
            await call();
            return (GrpcStatusCode.OK, "");
        }
        catch (RpcException e)
        {
            return (e.StatusCode, e.Detail);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        _http.Dispose();
        await Server.DisposeAsync();
        Models.Dispose();
    }
}

/// <summary>An xunit class fixture over <see cref="WireServer.StartAsync"/> with the default settings.</summary>
public sealed class WireFixture : IAsyncLifetime
{
    public WireServer Wire { get; private set; } = null!;

    public async Task InitializeAsync() => Wire = await WireServer.StartAsync();

    public async Task DisposeAsync() => await Wire.DisposeAsync();
}

/// <summary>Keeps every log entry of a server: level, category and message.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void Dispose() { }

    private sealed class CapturingLogger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.Entries.Enqueue((logLevel, category, formatter(state, exception) + (exception is null ? "" : $" | {exception.GetType().Name}: {exception.Message}")));
    }
}
