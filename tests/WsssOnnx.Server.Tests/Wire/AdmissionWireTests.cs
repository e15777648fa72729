using WsssOnnx.Grpc;
using WsssOnnx.Protos.Wsss.V1;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>Admission control seen from a client: one slot, one queue place, a third concurrent request is refused.</summary>
[Collection(WireCollection.Name)]
public sealed class AdmissionWireTests
{
    [Fact]
    public async Task A_request_beyond_the_slot_and_the_queue_gets_resource_exhausted_and_the_others_succeed()
    {
        await using var wire = await WireServer.StartAsync(o => o with { ConcurrencyLimit = 1, QueueCapacity = 1 }, "1");
        var admission = wire.Server.Admission;
        // Slow enough to still hold the slot while the others arrive (AdvCAM, 60 steps at scale 1).
        var running = wire.Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(steps: 60));
        await WireServer.Until(() => admission.Running == 1, "the slow request runs");
        var queued = wire.Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(steps: 2));
        await WireServer.Until(() => admission.Queued == 1, "the second request waits in the queue");

        var (code, detail) = await WireServer.StatusOf(() => wire.Client.UnaryAsync(WsssApi.Segment, WireServer.Segment()));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, code);
        Assert.Contains("busy", detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, admission.Running); // the refusal did not wait for the slow one

        Assert.Equal(60u, (await running).Parameters.Steps);
        var second = await queued;
        Assert.True(second.Timings.QueueMs > 0, "the second request waited in the queue");
        var status = await wire.IdleStatusAsync();
        Assert.Equal((0, 0, 1, 1), (status.Running, status.Queued, status.ConcurrencyLimit, status.QueueCapacity));
        Assert.Equal(1, WireServer.RequestCount(await wire.MetricsAsync(), "ResourceExhausted", WsssApi.Segment.FullName));
    }
}
