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
}
