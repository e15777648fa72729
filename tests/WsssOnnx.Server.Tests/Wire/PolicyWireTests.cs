using System.Globalization;
using System.Net;
using Google.Protobuf;
using WsssOnnx.Grpc;
using WsssOnnx.Grpc.Client;
using WsssOnnx.Grpc.Server;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Server.Handlers;
using Xunit.Abstractions;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>
/// The service's policies over a real socket (issue 15): the per-request cost limit, bounded and path-free error
/// messages, unknown enum values, and what ListModels and the metrics report. One server, default limits.
/// </summary>
[Collection(WireCollection.Name)]
public sealed class PolicyWireTests(WireFixture fixture, ITestOutputHelper output) : IClassFixture<WireFixture>
{
    private readonly WireServer _wire = fixture.Wire;

    private GrpcClientChannel Client => _wire.Client;

    [Fact]
    public async Task A_request_over_the_cost_limit_is_refused_before_it_runs_naming_both_costs()
    {
        // The issue's hostile request, on a small image: every class, 1000 steps, 8 scales of 4.0.
        var hostile = WireServer.Attribute(steps: 1000, change: r =>
        {
            r.Classes.Clear();
            r.Classes.AddRange(TestModels.Classes.Skip(1));
            r.Parameters.Scales.Clear();
            r.Parameters.Scales.AddRange(Enumerable.Repeat(4f, 8));
        });
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.UnaryAsync(WsssApi.Attribute, hostile,
            new GrpcCallOptions { Deadline = DateTime.UtcNow.AddSeconds(20) }));
        output.WriteLine(error.Detail);
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("request cost", error.Detail);
        Assert.Contains("limit of 1e9", error.Detail);
        double cost = double.Parse(error.Trailers.GetValue(ServiceErrors.RequestCostTrailer)!, CultureInfo.InvariantCulture);
        // 160 x 160 px x 4.0² x 8 scales x 1000 steps x 8 image + flip pairs
        Assert.Equal(160.0 * 160 * 16 * 8 * 1000 * 16, cost, 1e-9 * cost);
        Assert.Equal(1e9, double.Parse(error.Trailers.GetValue(ServiceErrors.MaxRequestCostTrailer)!, CultureInfo.InvariantCulture));
        Assert.Equal(0, _wire.Server.Admission.Running);

        // CAM at the package's scales with every class, CRF, confident and random-walk labels fits.
        var defaults = await Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(change: r =>
        {
            r.Parameters = null;
            r.Method = AttributionMethod.Cam;
            r.Classes.Clear();
            r.Classes.AddRange(TestModels.Classes.Skip(1));
            r.Labels.Add(LabelKind.Crf);
            r.Labels.Add(LabelKind.Confident);
            r.Labels.Add(LabelKind.RandomWalk);
        }));
        Assert.NotNull(defaults.Confident);
        Assert.NotNull(defaults.RandomWalk);
    }

    [Fact]
    public async Task Unknown_enum_values_are_refused_naming_their_field()
    {
        var cases = new (string Field, AttributeRequest Request)[]
        {
            ("labels", WireServer.Attribute(change: r => r.Labels.Add((LabelKind)42))),
            ("label_encoding", WireServer.Attribute(change: r => r.LabelEncoding = (LabelEncoding)42)),
            ("map_encoding", WireServer.Attribute(change: r => { r.WantMaps = true; r.MapEncoding = (MapEncoding)42; })),
        };
        foreach (var (field, request) in cases)
        {
            var (code, detail) = await WireServer.StatusOf(() => Client.UnaryAsync(WsssApi.Attribute, request));
            output.WriteLine($"{field}: {code} {detail}");
            Assert.Equal(GrpcStatusCode.InvalidArgument, code);
            Assert.StartsWith(field + ":", detail);
            Assert.Contains("42", detail);
        }
    }

    [Fact]
    public async Task Error_messages_quote_at_most_200_characters_of_input_and_no_server_path()
    {
        string huge = new('x', 100_000);
        var cases = new (string Name, Func<Task> Call)[]
        {
            ("class name", () => Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(change: r => { r.Classes.Clear(); r.Classes.Add(huge); }))),
            ("model name", () => Client.UnaryAsync(WsssApi.Segment, new SegmentRequest(WireServer.Segment()) { Model = new ModelSelector { Name = huge } })),
            ("version", () => Client.UnaryAsync(WsssApi.ActivateModel, new ModelVersionRequest { Version = huge })),
        };
        foreach (var (name, call) in cases)
        {
            var (code, detail) = await WireServer.StatusOf(call);
            output.WriteLine($"{name}: {code} {detail}");
            Assert.NotEqual(GrpcStatusCode.OK, code);
            Assert.True(detail.Length < 600, $"{name}: a {detail.Length}-character message");
            Assert.Contains(new string('x', 150) + "…", detail);
        }

        // A damaged package's reason names its file relative to the models folder, in the reply and in ListModels.
        _wire.Models.AddDamagedVersion("default", "3");
        var (loadCode, loadDetail) = await WireServer.StatusOf(() => Client.UnaryAsync(WsssApi.LoadModel, new ModelVersionRequest { Version = "3" }));
        output.WriteLine($"damaged: {loadCode} {loadDetail}");
        Assert.Equal(GrpcStatusCode.FailedPrecondition, loadCode);
        Assert.Contains("default/3/manifest.json", loadDetail);
        Assert.DoesNotContain(_wire.Models.Root, loadDetail);
        var listed = (await Client.UnaryAsync(WsssApi.ListModels, new ListModelsRequest())).Versions.Single(v => v.Version == "3");
        Assert.Equal(ModelState.Failed, listed.State);
        Assert.DoesNotContain(_wire.Models.Root, listed.Error);
    }

    [Fact]
    public async Task ListModels_keeps_the_active_version_after_its_folder_is_deleted()
    {
        string active = (await Client.UnaryAsync(WsssApi.GetStatus, new GetStatusRequest())).Active.Single().Version;
        Directory.Delete(Path.Combine(_wire.Models.Root, "default", active), recursive: true);
        var versions = (await Client.UnaryAsync(WsssApi.ListModels, new ListModelsRequest())).Versions;
        Assert.Contains(versions, v => v.Version == active && v.State == ModelState.Active);
        Assert.Equal(active, (await Client.UnaryAsync(WsssApi.Segment, WireServer.Segment())).ServedBy.Version);
    }

    [Fact]
    public void Gc_heap_metric_is_the_heap_after_the_last_collection()
    {
        // Garbage allocated since the last collection is not heap in use: GC.GetTotalMemory(false) would count it.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var garbage = new byte[256 * 1024 * 1024];
        Array.Fill(garbage, (byte)1, 0, 4096);
        GC.KeepAlive(garbage);
        long before = GC.GetGCMemoryInfo().HeapSizeBytes;
        string metrics = _wire.Server.RenderMetrics();
        long after = GC.GetGCMemoryInfo().HeapSizeBytes;
        string line = metrics.Split('\n').Single(l => l.StartsWith("dotnet_gc_heap_bytes ", StringComparison.Ordinal));
        double reported = double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        output.WriteLine($"reported {reported:N0}, heap size after the last GC {before:N0} .. {after:N0}, GC.GetTotalMemory(false) {GC.GetTotalMemory(false):N0}");
        Assert.InRange(reported, Math.Min(before, after), Math.Max(before, after));
    }
}

/// <summary>Servers of their own: an admin token, a package that does not match its networks, a damaged newest version.</summary>
[Collection(WireCollection.Name)]
public sealed class AdminAndLoadPolicyWireTests(ITestOutputHelper output)
{
    private const string Token = "test-admin-token-0123456789";

    [Fact]
    public async Task Admin_calls_need_the_bearer_token_when_one_is_configured()
    {
        await using var wire = await WireServer.StartAsync(o => o with { AdminToken = Token });
        var client = wire.Client;
        GrpcCallOptions With(string? header) => new() { Headers = header is null ? null : new Metadata().Add("authorization", header) };
        Func<GrpcCallOptions, Task>[] adminCalls =
        [
            o => client.UnaryAsync(WsssApi.ListModels, new ListModelsRequest(), o),
            o => client.UnaryAsync(WsssApi.GetStatus, new GetStatusRequest(), o),
            o => client.UnaryAsync(WsssApi.ActivateModel, new ModelVersionRequest { Version = "1" }, o),
            o => client.UnaryAsync(WsssApi.LoadModel, new ModelVersionRequest { Version = "1" }, o),
            o => client.UnaryAsync(WsssApi.UnloadModel, new ModelVersionRequest { Version = "1" }, o),
        ];
        foreach (var call in adminCalls)
        {
            foreach (string? header in (string?[])[null, "Bearer wrong-token-0123456789", Token, "Basic " + Token])
            {
                var (code, detail) = await WireServer.StatusOf(() => call(With(header)));
                output.WriteLine($"{header ?? "(none)"}: {code} {detail}");
                Assert.Equal(GrpcStatusCode.Unauthenticated, code);
            }
        }
        Assert.Equal("2", wire.Server.Registry.ActiveModels.Single().Version);
        var status = await client.UnaryAsync(WsssApi.GetStatus, new GetStatusRequest(), With("Bearer " + Token));
        Assert.Equal("2", status.Active.Single().Version);
        await client.UnaryAsync(WsssApi.ActivateModel, new ModelVersionRequest { Version = "1" }, With("bearer " + Token));
        Assert.Equal("1", wire.Server.Registry.ActiveModels.Single().Version);
        // The other services need no token.
        Assert.Equal("1", (await client.UnaryAsync(WsssApi.Segment, WireServer.Segment())).ServedBy.Version);
    }

    [Fact]
    public async Task A_manifest_whose_classes_do_not_match_its_networks_never_loads_or_activates()
    {
        await using var wire = await WireServer.StartAsync(o => o with { WatchModels = true });
        // One class fewer than the networks have: the watch must not activate it.
        wire.Models.AddVersion("default", "3", changeManifest: m => m["classes"]!.AsArray().RemoveAt(8));
        await WireServer.Until(async () => (await wire.Client.UnaryAsync(WsssApi.ListModels, new ListModelsRequest())).Versions
            .Any(v => v.Version == "3" && v.State == ModelState.Failed), "the watch reports version 3 as failed", TimeSpan.FromSeconds(30));
        var failed = (await wire.Client.UnaryAsync(WsssApi.ListModels, new ListModelsRequest())).Versions.Single(v => v.Version == "3");
        output.WriteLine(failed.Error);
        Assert.Contains("manifest.json lists 7 foreground classes", failed.Error);
        Assert.Contains("classifier.onnx", failed.Error);
        Assert.Equal("2", wire.Server.Registry.ActiveModels.Single().Version);

        var (code, detail) = await WireServer.StatusOf(() => wire.Client.UnaryAsync(WsssApi.ActivateModel, new ModelVersionRequest { Version = "3" }));
        Assert.Equal(GrpcStatusCode.FailedPrecondition, code);
        Assert.Contains("foreground classes", detail);
        Assert.Equal("2", (await wire.Client.UnaryAsync(WsssApi.Segment, WireServer.Segment())).ServedBy.Version);
    }

    [Fact]
    public async Task A_damaged_newest_version_is_reported_and_the_newest_that_loads_serves()
    {
        using var models = new TestModels("1", "2");
        models.AddDamagedVersion("default", "3");
        models.AddVersion("default", "4", changeManifest: m => m["classes"]!.AsArray().RemoveAt(8));
        var options = new ServiceOptions { ModelsRoot = models.Root, ConcurrencyLimit = 1, WatchModels = false };
        var host = new GrpcHostOptions { GrpcEndpoint = new IPEndPoint(IPAddress.Loopback, 0) };
        await using var server = await WsssServer.StartAsync(options, host);
        using var client = new GrpcClientChannel($"http://127.0.0.1:{server.GrpcPort}");
        var versions = (await client.UnaryAsync(WsssApi.ListModels, new ListModelsRequest())).Versions.ToDictionary(v => v.Version);
        Assert.Equal(ModelState.Active, versions["2"].State);
        Assert.Equal(ModelState.Failed, versions["3"].State);
        Assert.Equal(ModelState.Failed, versions["4"].State);
        Assert.Contains("sha256", versions["3"].Error);
        Assert.Equal("2", (await client.UnaryAsync(WsssApi.Segment, WireServer.Segment())).ServedBy.Version);
    }
}
