using WsssOnnx.Grpc;
using WsssOnnx.Grpc.Health;
using WsssOnnx.Protos.Health.V1;
using WsssOnnx.Protos.Wsss.V1;
using Xunit.Abstractions;
using ServingStatus = WsssOnnx.Protos.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>StopAsync while a request runs: it finishes, health says NOT_SERVING, later calls get UNAVAILABLE.</summary>
[Collection(WireCollection.Name)]
public sealed class ShutdownWireTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Stop_lets_the_running_call_finish_and_refuses_new_ones()
    {
        await using var wire = await WireServer.StartAsync(versions: "1");
        var client = wire.Client;
        using var watch = client.ServerStreaming(HealthService.WatchMethod, new HealthCheckRequest());
        Assert.Equal(ServingStatus.Serving, (await watch.ReadAsync())!.Status);

        var running = client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(steps: 60));
        await WireServer.Until(() => wire.Server.Admission.Running == 1, "the Attribute runs");
        var stopping = wire.Server.StopAsync();
        Assert.Equal(ServingStatus.NotServing, (await watch.ReadAsync())!.Status);
        watch.Dispose(); // a watcher would otherwise hold the host's drain until its timeout

        var during = await WireServer.StatusOf(() => client.UnaryAsync(WsssApi.Segment, WireServer.Segment()));
        output.WriteLine($"during the drain: {during.Code} {during.Detail}");
        Assert.Equal(GrpcStatusCode.Unavailable, during.Code);

        var reply = await running;
        Assert.Equal(60u, reply.Parameters.Steps);
        await stopping.WaitAsync(TimeSpan.FromSeconds(15));

        var after = await WireServer.StatusOf(() => client.UnaryAsync(WsssApi.Segment, WireServer.Segment()));
        output.WriteLine($"after stop: {after.Code} {after.Detail}");
        Assert.Equal(GrpcStatusCode.Unavailable, after.Code);
    }

    [Fact]
    public async Task Stop_stays_observable_as_not_serving_and_ends_calls_left_at_the_drain_timeout_with_unavailable()
    {
        // Regression: the listener closed at once, so NOT_SERVING could not be seen and new calls met a refused
        // connection; calls still queued at the drain timeout were reset at TCP level instead of getting a status.
        await using var wire = await WireServer.StartAsync(o => o with
        {
            ConcurrencyLimit = 1,
            ShutdownGrace = TimeSpan.FromSeconds(1.5),
            DrainTimeout = TimeSpan.FromSeconds(1.5),
        }, "1");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var running = WireServer.StatusOf(() => wire.Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(steps: 1000)));
        await WireServer.Until(() => wire.Server.Admission.Running == 1, "the long Attribute runs");
        var queued = WireServer.StatusOf(() => wire.Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(steps: 2)));
        await WireServer.Until(() => wire.Server.Admission.Queued == 1, "the second Attribute waits for a slot");
        var stopping = wire.Server.StopAsync();

        // In the grace period a client on a new connection still gets answers.
        using (var late = new Grpc.Client.GrpcClientChannel(wire.Address))
        {
            var health = await late.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest());
            Assert.Equal(ServingStatus.NotServing, health.Status);
            var refused = await WireServer.StatusOf(() => late.UnaryAsync(WsssApi.Segment, WireServer.Segment()));
            output.WriteLine($"a new call in the grace period: {refused.Code} {refused.Detail}");
            Assert.Equal(GrpcStatusCode.Unavailable, refused.Code);
            Assert.Contains("shutting down", refused.Detail);
        }

        // At the drain timeout, what is still running or queued ends with UNAVAILABLE sent by the server.
        foreach (var (name, call) in new[] { ("running", running), ("queued", queued) })
        {
            var (code, detail) = await call.WaitAsync(TimeSpan.FromSeconds(15));
            output.WriteLine($"{name} call at {clock.Elapsed.TotalSeconds:F1} s: {code} {detail}");
            Assert.Equal(GrpcStatusCode.Unavailable, code);
            Assert.Contains("shutting down", detail);
        }
        await stopping.WaitAsync(TimeSpan.FromSeconds(15));
        output.WriteLine($"stopped after {clock.Elapsed.TotalSeconds:F1} s");
    }
}
