using Google.Protobuf;
using WsssOnnx.Grpc;
using WsssOnnx.Grpc.Server;
using WsssOnnx.Protos.Wsss.V1;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>The service's transport limits: a refusal reaches the client as a status and /metrics as a count.</summary>
[Collection(WireCollection.Name)]
public sealed class TransportLimitsWireTests
{
    [Fact]
    public async Task A_message_over_the_connection_budget_is_resource_exhausted_and_counted()
    {
        // 1 MB does not fit in the 768 KiB stream window, so it is partly received first and must fit the budget.
        await using var wire = await WireServer.StartAsync(null, null, new GrpcTransportLimits { MaxIncompleteBytesPerConnection = 100_000 }, "1");
        var big = WireServer.Segment(new byte[1_000_000]);
        var (code, detail) = await WireServer.StatusOf(() => wire.Client.UnaryAsync(WsssApi.Segment, big));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, code);
        Assert.Contains("this connection", detail);
        Assert.Equal(32 * 32, (await wire.Client.UnaryAsync(WsssApi.Segment, WireServer.Segment(TestModels.ImagePng(32, 32)))).Labels.Raw.Length);
        var metrics = await wire.MetricsAsync();
        Assert.Equal(1, WireServer.Metric(metrics, "wsss_transport_refusals_total", "limit=\"connection_buffer\""));
        Assert.Equal(1, WireServer.RequestCount(metrics, "ResourceExhausted", WsssApi.Segment.FullName));
    }
}
