using System.Collections.Concurrent;
using WsssOnnx.Grpc;
using WsssOnnx.Protos.Wsss.V1;
using Xunit.Abstractions;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>Versions swapped by ModelAdmin and by the directory watch while clients send requests without pause.</summary>
[Collection(WireCollection.Name)]
public sealed class HotSwapWireTests(ITestOutputHelper output)
{
    private const int Clients = 4;
    private const int AdminSwaps = 6;

    [Fact]
    public async Task Swap_under_load_fails_no_request_and_every_reply_names_its_version()
    {
        await using var wire = await WireServer.StartAsync(o => o with { WatchModels = true, QueueCapacity = 64 }, "1", "2");
        var client = wire.Client;
        var served = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        var replies = new ConcurrentQueue<(DateTime Sent, string Version)>();
        using var stop = new CancellationTokenSource();
        int requests = 0;

        async Task Load(int id)
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                var sent = DateTime.UtcNow;
                try
                {
                    var by = (id + i) % 2 == 0
                        ? (await client.UnaryAsync(WsssApi.Segment, WireServer.Segment())).ServedBy
                        : (await client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(method: AttributionMethod.Cam))).ServedBy;
                    served.AddOrUpdate(by.Version, 1, (_, n) => n + 1);
                    replies.Enqueue((sent, by.Version));
                    Interlocked.Increment(ref requests);
                }
                catch (RpcException e)
                {
                    failures.Enqueue($"client {id} request {i}: {e.StatusCode} {e.Detail}");
                }
            }
        }

        var load = Enumerable.Range(0, Clients).Select(id => Task.Run(() => Load(id))).ToArray();
        async Task Served(string version, int atLeast) =>
            await WireServer.Until(() => served.GetValueOrDefault(version) >= atLeast, $"version {version} served {atLeast} requests", TimeSpan.FromSeconds(30));

        await Served("2", 2);
        for (int swap = 0; swap < AdminSwaps; swap++)
        {
            string version = swap % 2 == 0 ? "1" : "2";
            var activated = await client.UnaryAsync(WsssApi.ActivateModel, new ModelVersionRequest { Version = version });
            Assert.Equal((version, ModelState.Active), (activated.Version, activated.State));
            int before = served.GetValueOrDefault(version);
            await Served(version, before + 2);
        }

        // An operator's rollback sticks while the directory watch runs: "2" is not new, so the watch leaves it alone.
        // Requests sent after the activation returned are all served by "1" for longer than the watch's poll interval.
        await client.UnaryAsync(WsssApi.ActivateModel, new ModelVersionRequest { Version = "1" });
        var rolledBack = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var window = replies.Where(r => r.Sent > rolledBack && r.Sent < rolledBack.AddSeconds(2.5)).ToList();
        Assert.True(window.Count >= 4, $"{window.Count} replies in the rollback window");
        int reverted = window.Count(r => r.Version != "1");
        Assert.True(reverted == 0, $"{reverted} of {window.Count} requests sent after the rollback to 1 were served by another version");

        wire.Models.AddDamagedVersion("default", "0");
        var (code, detail) = await WireServer.StatusOf(() => client.UnaryAsync(WsssApi.ActivateModel, new ModelVersionRequest { Version = "0" }));
        Assert.Equal(GrpcStatusCode.FailedPrecondition, code);
        output.WriteLine($"damaged version: {code} {detail}");
        int afterDamaged = served.GetValueOrDefault("1");
        await Served("1", afterDamaged + 2);

        wire.Models.AddVersion("default", "3");
        await Served("3", 4);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        output.WriteLine($"{requests} requests; served by version: {string.Join(", ", served.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}");
        Assert.True(failures.IsEmpty, string.Join("\n", failures));
        Assert.Equal(["1", "2", "3"], served.Keys.Order(StringComparer.Ordinal));

        // The replaced versions drain and are unloaded: one ACTIVE version, none DRAINING for long.
        await WireServer.Until(async () => (await client.UnaryAsync(WsssApi.ListModels, new ListModelsRequest())).Versions
            .All(v => v.State != ModelState.Draining), "no version is draining");
        var versions = (await client.UnaryAsync(WsssApi.ListModels, new ListModelsRequest())).Versions;
        output.WriteLine(string.Join(", ", versions.Select(v => $"{v.Version} {v.State}")));
        Assert.Equal("3", versions.Single(v => v.State == ModelState.Active).Version);
        Assert.Equal(ModelState.Failed, versions.Single(v => v.Version == "0").State);
        Assert.All(versions.Where(v => v.Version is "1" or "2"), v => Assert.Equal(ModelState.Available, v.State));
    }
}
