using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf;
using Spectre.Console;
using WsssOnnx.Grpc;
using WsssOnnx.Grpc.Client;
using WsssOnnx.Grpc.Health;
using WsssOnnx.Grpc.Server;
using WsssOnnx.Imaging;
using WsssOnnx.Protos.Health.V1;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Server;
using WsssOnnx.Server.Models;
using WireMethod = WsssOnnx.Protos.Wsss.V1.AttributionMethod;

namespace WsssOnnx.Cli;

/// <summary>
/// `wsss bench-server`: the service as a client sees it, over a real socket and one HTTP/2 channel. For each workload
/// (an empty call, Segment, Attribute with CAM, Attribute with AdvCAM at the package's defaults) and each concurrency, a
/// closed loop of that many callers makes N calls; the figures are latency p50/p90/p99, OK calls per second and the
/// calls that failed, by status. The target is a running `wsss serve` (--server) or, by default, a server started in
/// this process on 127.0.0.1:0, whose memory is then sampled at start, after the warm-ups and after the run.
/// </summary>
internal static class ServerBenchCommand
{
    // The side of the bundled package's dataset images (wsss-train make-dataset --size 160; it trains on 128-pixel crops of them).
    private const int NativeSide = 160;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Percentiles of a level where no call succeeded are written as "NaN".
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static Command Create()
    {
        var defaults = new ServiceOptions();
        var server = new Option<string?>("--server") { Description = "host:port of a running `wsss serve` (default: a server started in this process on 127.0.0.1, any free port, over --models)" };
        var models = new Option<DirectoryInfo>("--models") { Description = "Model packages folder of the in-process server", DefaultValueFactory = _ => new DirectoryInfo("models") };
        var image = new Option<FileInfo?>("--image") { Description = "A JPEG or PNG sent as is (default: a deterministic textured JPEG of --size)" };
        var size = new Option<int>("--size") { Description = "Side of the synthetic square image, in pixels", DefaultValueFactory = _ => NativeSide };
        var requests = new Option<int>("--requests") { Description = "Calls per workload and concurrency (at least one per caller)", DefaultValueFactory = _ => 100 };
        var advCamRequests = new Option<int>("--advcam-requests") { Description = "Calls per concurrency for AdvCAM (at least one per caller)", DefaultValueFactory = _ => 4 };
        var warmUp = new Option<int>("--warmup") { Description = "Untimed calls of each workload before any is timed (AdvCAM: at most one per server slot)", DefaultValueFactory = _ => 4 };
        var concurrency = new Option<string>("--concurrency") { Description = "Comma-separated numbers of concurrent callers", DefaultValueFactory = _ => "1,4,16" };
        var skipAdvCam = new Option<bool>("--skip-advcam") { Description = "Leave out the AdvCAM workload (seconds per call)" };
        var serverConcurrency = new Option<int>("--server-concurrency") { Description = "In-process server: requests running at once", DefaultValueFactory = _ => defaults.ConcurrencyLimit };
        var queue = new Option<int?>("--queue")
        {
            Description = $"In-process server: requests waiting for a slot (default: {defaults.QueueCapacity}, or the largest --concurrency if more, so that no call is refused)",
        };
        var threads = new Option<int>("--threads")
        {
            Description = "In-process server: ONNX Runtime intra-op threads per request (0: one per core)",
            DefaultValueFactory = _ => defaults.IntraOpThreads,
        };
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON object instead of tables" };
        var command = new Command("bench-server", "Latency percentiles, throughput and errors of the gRPC service over a socket: empty call, Segment, CAM and AdvCAM at several concurrencies")
        {
            server, models, image, size, requests, advCamRequests, warmUp, concurrency, skipAdvCam, serverConcurrency, queue, threads, json,
        };
        command.SetAction(result =>
        {
            var levels = ParseConcurrency(result.GetValue(concurrency)!);
            var settings = new Settings(result.GetValue(requests), result.GetValue(advCamRequests), result.GetValue(warmUp), levels,
                result.GetValue(skipAdvCam), result.GetValue(image), result.GetValue(size));
            if (settings.Requests is < 1 or > 1_000_000) throw new UsageException($"--requests must be in [1, 1000000]; got {settings.Requests}.");
            if (settings.AdvCamRequests is < 1 or > 10_000) throw new UsageException($"--advcam-requests must be in [1, 10000]; got {settings.AdvCamRequests}.");
            if (settings.WarmUp is < 0 or > 10_000) throw new UsageException($"--warmup must be in [0, 10000]; got {settings.WarmUp}.");
            if (settings.Size is < 16 or > 1024) throw new UsageException($"--size must be in [16, 1024]; got {settings.Size}.");
            if (settings.Image is { Exists: false } missing) throw new CommandFailedException($"--image {missing.FullName} does not exist.");
            if (result.GetValue(server) is { } address)
                return RunRemote(address, settings, result.GetValue(json)).GetAwaiter().GetResult();
            var options = new ServiceOptions
            {
                ModelsRoot = result.GetValue(models)!.FullName,
                ConcurrencyLimit = result.GetValue(serverConcurrency),
                QueueCapacity = result.GetValue(queue) ?? Math.Max(defaults.QueueCapacity, levels.Max()),
                IntraOpThreads = result.GetValue(threads),
                ShutdownGrace = TimeSpan.Zero, // nobody health-checks a bench's own server
                WatchModels = false,
            };
            UsageException.Validated(options.Validate);
            return RunInProcess(options, settings, result.GetValue(json)).GetAwaiter().GetResult();
        });
        return command;
    }

    private static async Task<int> RunRemote(string address, Settings settings, bool json)
    {
        int colon = address.LastIndexOf(':');
        if (colon < 1 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535
            || !Uri.TryCreate($"http://{address}/", UriKind.Absolute, out _))
            throw new UsageException($"--server must be host:port, e.g. 127.0.0.1:50051; got \"{address}\".");
        using var channel = new GrpcClientChannel($"http://{address}");
        var target = new Target("server", address, IntraOpThreads: null);
        return await RunAsync(channel, target, settings, memory: null, json).ConfigureAwait(false);
    }

    private static async Task<int> RunInProcess(ServiceOptions options, Settings settings, bool json)
    {
        WsssServer server;
        try
        {
            server = await WsssServer.StartAsync(options, new GrpcHostOptions { GrpcEndpoint = new IPEndPoint(IPAddress.Loopback, 0) }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ModelNotFoundException or ModelLoadFailedException)
        {
            throw new CommandFailedException($"cannot start the in-process server: {e.Message}", e);
        }
        await using (server.ConfigureAwait(false))
        {
            var target = new Target("in-process", $"127.0.0.1:{server.GrpcPort}", options.IntraOpThreads);
            using var channel = new GrpcClientChannel($"http://{target.Address}");
            return await RunAsync(channel, target, settings, MemorySample.Take, json).ConfigureAwait(false);
        }
    }

    /// <param name="memory">Samples this process's memory (the in-process server's); null for a remote server.</param>
    private static async Task<int> RunAsync(GrpcClientChannel channel, Target target, Settings settings, Func<MemorySample>? memory, bool json)
    {
        ServerStatus status;
        try
        {
            status = await channel.UnaryAsync(WsssApi.GetStatus, new GetStatusRequest(), new GrpcCallOptions { Deadline = DateTime.UtcNow.AddSeconds(15) }).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw new CommandFailedException($"cannot reach the server at {target.Address}: {StatusName(e.StatusCode)} ({e.Detail.TrimEnd('.')}).", e);
        }
        var model = status.Active.FirstOrDefault(m => m.Name == "default") ?? status.Active.FirstOrDefault()
            ?? throw new CommandFailedException($"the server at {target.Address} has no active model.");
        if (model.Classes.Count == 0) throw new CommandFailedException($"model {model.Name}/{model.Version} names no foreground class.");
        string[] classes = [.. model.Classes.Take(2)];
        var (imageBytes, imageSource, side) = settings.Image is { } file
            ? (File.ReadAllBytes(file.FullName), file.FullName, (int?)null)
            : (JpegEncoder.Encode(SyntheticImage.Textured(settings.Size), 90), "synthetic textured JPEG, quality 90", settings.Size);
        var picture = ByteString.CopyFrom(imageBytes);
        var selector = new ModelSelector { Name = model.Name };

        AdvCamParameters? advCamUsed = null;
        Func<CancellationToken, Task> Attribute(WireMethod method) => async cancellation =>
        {
            var reply = await channel.UnaryAsync(WsssApi.Attribute, new AttributeRequest
            {
                Image = picture,
                Classes = { classes },
                Method = method,
                Model = selector,
                Labels = { LabelKind.Seeds },
            }, new GrpcCallOptions { CancellationToken = cancellation }).ConfigureAwait(false);
            if (method == WireMethod.Advcam) advCamUsed ??= reply.Parameters;
        };
        var workloads = new List<Workload>
        {
            new("empty", "grpc.health.v1.Health/Check: no model work", settings.Requests, settings.WarmUp,
                c => channel.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest(), new GrpcCallOptions { CancellationToken = c })),
            new("segment", "Segment: the segmenter, labels as PNG", settings.Requests, settings.WarmUp,
                c => channel.UnaryAsync(WsssApi.Segment, new SegmentRequest { Image = picture, Model = selector }, new GrpcCallOptions { CancellationToken = c })),
            new("cam", $"Attribute, CAM, seeds, {classes.Length} classes", settings.Requests, settings.WarmUp, Attribute(WireMethod.Cam)),
        };
        if (!settings.SkipAdvCam)
            workloads.Add(new(
                "advcam",
                $"Attribute, AdvCAM at the package's defaults, seeds, {classes.Length} classes",
                settings.AdvCamRequests,
                Math.Min(settings.WarmUp, status.ConcurrencyLimit),
                Attribute(WireMethod.Advcam)));

        var config = new ServerConfig(status.ConcurrencyLimit, status.QueueCapacity, target.IntraOpThreads, status.ServerVersion, status.OnnxRuntimeVersion, model.ExecutionProvider);
        string targetLine = target.Kind == "in-process"
            ? $"in-process server on {target.Address} (started by this command; queue {config.QueueCapacity}, at least the largest concurrency, so no call is refused)"
            : $"server at {target.Address}";
        if (!json) Console.Error.WriteLine($"wsss bench-server: {targetLine}, model {model.Name}/{model.Version}");

        var before = memory?.Invoke();
        var (results, warm) = await RunLevelsAsync(workloads, settings.Concurrency, status.ConcurrencyLimit, memory).ConfigureAwait(false);
        var after = memory?.Invoke();

        var report = new ServerBenchReport
        {
            Target = target.Kind,
            Address = target.Address,
            Model = $"{model.Name}/{model.Version}",
            Server = config,
            Image = new ImageInfo(imageSource, side, side, imageBytes.Length),
            Classes = classes,
            AdvCamSteps = advCamUsed?.Steps,
            AdvCamScales = advCamUsed?.Scales.ToArray(),
            Results = results,
            MemoryBefore = before,
            MemoryAfterWarmUp = warm,
            MemoryAfter = after,
        };
        if (json) Console.WriteLine(JsonSerializer.Serialize(report, JsonOptions));
        else Print(report, targetLine, workloads);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Every workload's warm-up (with up to <paramref name="serverSlots"/> callers, so that every slot has run each shape
    /// once), then every workload at every concurrency; a progress bar on a terminal, a line a level otherwise. Memory,
    /// when sampled, is sampled after the warm-ups and after every level: growth that goes on level after level is a leak.
    /// </summary>
    private static async Task<(List<LevelResult> Results, MemorySample? AfterWarmUp)> RunLevelsAsync(List<Workload> workloads, IReadOnlyList<int> levels,
        int serverSlots, Func<MemorySample>? memory)
    {
        var results = new List<LevelResult>();
        MemorySample? warm = null;
        async Task Run(Action<string, int> starting, Action done)
        {
            foreach (var workload in workloads.Where(w => w.WarmUp > 0))
            {
                starting($"{workload.Name} warm-up", workload.WarmUp);
                await ClosedLoopLoad.RunAsync(workload.WarmUp, Math.Clamp(serverSlots, 1, workload.WarmUp), workload.Call, done).ConfigureAwait(false);
            }
            warm = memory?.Invoke();
            foreach (var workload in workloads)
            {
                foreach (int callers in levels)
                {
                    int requests = Math.Max(workload.Requests, callers);
                    starting($"{workload.Name} x{callers}", requests);
                    var run = await ClosedLoopLoad.RunAsync(requests, callers, workload.Call, done).ConfigureAwait(false);
                    results.Add(LevelResult.From(workload.Name, callers, requests, run, memory?.Invoke().RssBytes));
                }
            }
        }

        if (Console.IsErrorRedirected)
        {
            await Run((name, requests) => Console.Error.WriteLine($"wsss bench-server: {name}, {requests} calls ..."), () => { }).ConfigureAwait(false);
            return (results, warm);
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        await console.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                ProgressTask? current = null;
                await Run((name, requests) =>
                {
                    current?.StopTask();
                    current = context.AddTask(Markup.Escape(name), maxValue: requests);
                }, () => current!.Increment(1)).ConfigureAwait(false);
                current?.StopTask();
            }).ConfigureAwait(false);
        return (results, warm);
    }

    private static void Print(ServerBenchReport r, string targetLine, List<Workload> workloads)
    {
        static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
        // Three significant figures or more: 0.17, 11.3, 9443.
        static string Ms(double ms) => F(ms, ms < 10 ? "F2" : ms < 100 ? "F1" : "F0");
        string size = r.Image.Width is int w ? $" {w}x{r.Image.Height}" : "";
        var table = new Table().Title(Markup.Escape($"wsss bench-server: {r.Model}, {r.Image.Bytes} B image{size}, classes {string.Join(", ", r.Classes)}"))
            .AddColumn("workload").AddColumn(new TableColumn("callers").RightAligned()).AddColumn(new TableColumn("calls").RightAligned())
            .AddColumn(new TableColumn("p50 ms").RightAligned()).AddColumn(new TableColumn("p90 ms").RightAligned()).AddColumn(new TableColumn("p99 ms").RightAligned())
            .AddColumn(new TableColumn("OK/s").RightAligned()).AddColumn("errors");
        bool rss = r.Results.All(l => l.RssAfterBytes is not null);
        if (rss) table.AddColumn(new TableColumn("RSS after, MiB").RightAligned());
        foreach (var level in r.Results)
        {
            string[] cells = [level.Workload, level.Concurrency.ToString(CultureInfo.InvariantCulture), level.Requests.ToString(CultureInfo.InvariantCulture),
                Ms(level.P50Ms), Ms(level.P90Ms), Ms(level.P99Ms), F(level.RequestsPerSecond, level.RequestsPerSecond < 100 ? "F2" : "F0"),
                level.Errors.Count == 0 ? "0" : string.Join(", ", level.Errors.Select(e => $"{e.Key} {e.Value}"))];
            table.AddRow(rss ? [.. cells, F(level.RssAfterBytes!.Value / (1024.0 * 1024.0), "F1")] : cells);
        }
        AnsiConsole.Write(table);

        var setup = new Table().AddColumn("setting").AddColumn("value");
        setup.AddRow("target", Markup.Escape(targetLine));
        var s = r.Server;
        setup.AddRow("server", Markup.Escape($"{s.ServerVersion}, ONNX Runtime {s.OnnxRuntimeVersion} ({s.ExecutionProvider}), concurrency limit {s.ConcurrencyLimit}, queue {s.QueueCapacity}, " +
            $"intra-op threads {(s.IntraOpThreads is int t ? t == 0 ? "ORT default" : t.ToString(CultureInfo.InvariantCulture) : "unknown (remote)")}"));
        setup.AddRow("image", Markup.Escape(r.Image.Source));
        foreach (var workload in workloads) setup.AddRow(workload.Name, Markup.Escape(workload.Description));
        if (r.AdvCamSteps is uint steps) setup.AddRow("AdvCAM", Markup.Escape($"T = {steps}, scales {string.Join(", ", r.AdvCamScales!)}"));
        if (r.MemoryBefore is { } b && r.MemoryAfterWarmUp is { } warm && r.MemoryAfter is { } a)
        {
            static string M(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F1", CultureInfo.InvariantCulture);
            setup.AddRow("memory, RSS", $"{M(b.RssBytes)} MiB at start, {M(warm.RssBytes)} after warm-up, {M(a.RssBytes)} after the run (MiB; server and client share the process)");
            setup.AddRow("memory, GC heap", $"{M(b.GcHeapBytes)} MiB at start, {M(warm.GcHeapBytes)} after warm-up, {M(a.GcHeapBytes)} after the run (MiB, live after a full collection)");
        }
        AnsiConsole.Write(setup);
    }

    private static IReadOnlyList<int> ParseConcurrency(string list)
    {
        var levels = new List<int>();
        foreach (string item in list.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n is < 1 or > 1024)
                throw new UsageException($"--concurrency must be comma-separated numbers in [1, 1024]; got \"{list}\".");
            levels.Add(n);
        }
        return levels;
    }

    /// <summary>RESOURCE_EXHAUSTED for <see cref="GrpcStatusCode.ResourceExhausted"/>: the names of grpc's statuscodes.md.</summary>
    private static string StatusName(GrpcStatusCode code)
    {
        var name = new StringBuilder();
        foreach (char c in code.ToString())
        {
            if (char.IsUpper(c) && name.Length > 0 && code != GrpcStatusCode.OK) name.Append('_');
            name.Append(char.ToUpperInvariant(c));
        }
        return name.ToString();
    }

    private sealed record Settings(int Requests, int AdvCamRequests, int WarmUp, IReadOnlyList<int> Concurrency, bool SkipAdvCam, FileInfo? Image, int Size);

    private sealed record Target(string Kind, string Address, int? IntraOpThreads);

    private sealed record Workload(string Name, string Description, int Requests, int WarmUp, Func<CancellationToken, Task> Call);

    private sealed record ServerConfig(int ConcurrencyLimit, int QueueCapacity, int? IntraOpThreads, string ServerVersion, string OnnxRuntimeVersion, string ExecutionProvider);

    private sealed record ImageInfo(string Source, int? Width, int? Height, int Bytes);

    /// <summary>This process's resident set and live managed heap, after a full, compacting collection.</summary>
    private sealed record MemorySample(long RssBytes, long GcHeapBytes)
    {
        public static MemorySample Take()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            return new MemorySample(process.WorkingSet64, GC.GetTotalMemory(forceFullCollection: false));
        }
    }

    private sealed record LevelResult(string Workload, int Concurrency, int Requests, int Ok, double Seconds, double P50Ms, double P90Ms, double P99Ms,
        double MeanMs, double RequestsPerSecond, IReadOnlyDictionary<string, int> Errors, long? RssAfterBytes)
    {
        public static LevelResult From(string workload, int callers, int requests, ClosedLoopLoad.Result run, long? rssAfter)
        {
            var ms = run.LatenciesMs;
            double P(double q) => ms.Count > 0 ? BenchStatistics.Percentile(ms, q) : double.NaN;
            return new LevelResult(workload, callers, requests, ms.Count, run.Elapsed.TotalSeconds, P(0.5), P(0.9), P(0.99),
                ms.Count > 0 ? ms.Average() : double.NaN, ms.Count / run.Elapsed.TotalSeconds,
                run.Errors.OrderBy(e => e.Key).ToDictionary(e => StatusName(e.Key), e => e.Value), rssAfter);
        }
    }

    private sealed record ServerBenchReport
    {
        public required string Target { get; init; }
        public required string Address { get; init; }
        public required string Model { get; init; }
        public required ServerConfig Server { get; init; }
        public required ImageInfo Image { get; init; }
        public required IReadOnlyList<string> Classes { get; init; }
        public uint? AdvCamSteps { get; init; }
        public IReadOnlyList<float>? AdvCamScales { get; init; }
        public required IReadOnlyList<LevelResult> Results { get; init; }
        public MemorySample? MemoryBefore { get; init; }
        public MemorySample? MemoryAfterWarmUp { get; init; }
        public MemorySample? MemoryAfter { get; init; }
    }
}
