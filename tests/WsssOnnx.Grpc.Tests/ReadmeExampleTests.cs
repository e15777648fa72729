using System.Net;
using Google.Protobuf.WellKnownTypes;
using WsssOnnx.Grpc.Client;
using WsssOnnx.Grpc.Health;
using WsssOnnx.Grpc.Server;

namespace WsssOnnx.Grpc.Tests;

/// <summary>The example of docs/grpc-layer.md, kept compiling and passing.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public async Task Readme_example_hosts_a_unary_and_a_duplex_method_and_calls_them()
    {
        var upper = new GrpcMethod<StringValue, StringValue>(GrpcMethodKind.Unary, "demo.Text", "Upper", StringValue.Parser, StringValue.Parser);
        var chat = new GrpcMethod<StringValue, StringValue>(GrpcMethodKind.DuplexStreaming, "demo.Text", "Chat", StringValue.Parser, StringValue.Parser);
        var router = new GrpcServiceRouter()
            .AddUnary(upper, (request, context) => Task.FromResult(new StringValue { Value = request.Value.ToUpperInvariant() }))
            .AddDuplex(chat, async (requests, responses, context) =>
            {
                await foreach (var request in requests) await responses.WriteAsync(new StringValue { Value = "re: " + request.Value }, context.CancellationToken);
            });
        new HealthService().AddTo(router);
        await using var host = await GrpcHost.StartAsync(router, new GrpcHostOptions { GrpcEndpoint = new IPEndPoint(IPAddress.Loopback, 0) });

        using var channel = new GrpcClientChannel($"http://127.0.0.1:{host.GrpcPort}", new GrpcClientOptions { DefaultTimeout = TimeSpan.FromSeconds(30) });
        var loud = await channel.UnaryAsync(upper, new StringValue { Value = "hi" });
        using var call = channel.Duplex(chat);
        await call.RequestStream.WriteAsync(new StringValue { Value = "one" });
        var reply = await call.ReadAsync();   // before the request stream ends
        await call.RequestStream.CompleteAsync();

        Assert.Equal("HI", loud.Value);
        Assert.Equal("re: one", reply?.Value);
        Assert.Null(await call.ReadAsync()); // status OK
    }
}
