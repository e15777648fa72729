using WsssOnnx.Grpc.Client;
using WsssOnnx.Grpc.Health;
using WsssOnnx.Protos.Health.V1;
using ServingStatus = WsssOnnx.Protos.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace WsssOnnx.Grpc.Tests;

/// <summary>grpc.health.v1 Check and Watch; each test has its own server because statuses are shared state.</summary>
public sealed class GrpcHealthTests : IAsyncLifetime
{
    private EchoServer _server = null!;

    public async Task InitializeAsync() => _server = await EchoServer.StartAsync(new());

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Check_reports_the_server_serving_and_set_statuses()
    {
        using var channel = _server.Channel();
        Assert.Equal(ServingStatus.Serving, (await channel.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest())).Status);
        _server.Health.SetStatus("wsss.v1.Segmenter", ServingStatus.NotServing);
        var response = await channel.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest { Service = "wsss.v1.Segmenter" });
        Assert.Equal(ServingStatus.NotServing, response.Status);
    }

    [Fact]
    public async Task Check_of_an_unknown_service_is_not_found()
    {
        using var channel = _server.Channel();
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest { Service = "nope" }));
        Assert.Equal(GrpcStatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Watch_sends_the_current_status_then_each_change_then_not_serving_on_shutdown()
    {
        using var channel = _server.Channel();
        using var call = channel.ServerStreaming(HealthService.WatchMethod, new HealthCheckRequest { Service = "svc" });
        var timeout = TimeSpan.FromSeconds(5);
        Assert.Equal(ServingStatus.ServiceUnknown, (await call.ReadAsync().WaitAsync(timeout))!.Status);
        _server.Health.SetStatus("svc", ServingStatus.Serving);
        Assert.Equal(ServingStatus.Serving, (await call.ReadAsync().WaitAsync(timeout))!.Status);
        _server.Health.Shutdown();
        Assert.Equal(ServingStatus.NotServing, (await call.ReadAsync().WaitAsync(timeout))!.Status);
        _server.Health.SetStatus("svc", ServingStatus.Serving);
        Assert.Equal(ServingStatus.NotServing, _server.Health.GetStatus("svc"));
    }
}
