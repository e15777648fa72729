using Google.Protobuf.WellKnownTypes;
using WsssOnnx.Grpc.Client;

namespace WsssOnnx.Grpc.Tests;

/// <summary>Every call kind, metadata and error statuses: our client against our server over a real socket.</summary>
public sealed class GrpcCallTests(EchoServer server) : IClassFixture<EchoServer>
{
    [Fact]
    public async Task Unary_call_returns_the_echoed_message()
    {
        using var channel = server.Channel();
        var response = await channel.UnaryAsync(EchoService.Unary, new StringValue { Value = "hello" });
        Assert.Equal("hello", response.Value);
    }

    [Fact]
    public async Task Unary_call_carries_ascii_and_binary_metadata_both_ways()
    {
        using var channel = server.Channel();
        byte[] bytes = [0, 1, 2, 250, 255];
        var headers = new Metadata().Add("x-echo", "ascii value").Add("x-echo-bin", bytes);
        var result = await channel.UnaryWithMetadataAsync(EchoService.Unary, new StringValue { Value = "m" }, new GrpcCallOptions { Headers = headers });
        Assert.Equal("ascii value", result.Headers.GetValue("x-echo"));
        Assert.Equal(bytes, result.Trailers.GetBytes("x-echo-bin"));
    }

    [Fact]
    public async Task Server_streaming_call_returns_n_messages_in_order()
    {
        using var channel = server.Channel();
        using var call = channel.ServerStreaming(EchoService.ServerStream, new Int32Value { Value = 50 });
        var values = new List<string>();
        await foreach (var message in call.ReadAllAsync()) values.Add(message.Value);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), values);
    }

    [Fact]
    public async Task Client_streaming_call_concatenates_requests()
    {
        using var channel = server.Channel();
        using var call = channel.ClientStreaming(EchoService.ClientStream);
        foreach (var part in new[] { "a", "b", "c", "", "d" }) await call.RequestStream.WriteAsync(new StringValue { Value = part });
        await call.RequestStream.CompleteAsync();
        Assert.Equal("abcd", (await call.ResponseAsync()).Value);
    }

    [Fact]
    public async Task Duplex_call_receives_each_reply_before_the_request_stream_completes()
    {
        using var channel = server.Channel();
        using var call = channel.Duplex(EchoService.Duplex);
        for (var i = 0; i < 20; i++)
        {
            await call.RequestStream.WriteAsync(new StringValue { Value = $"m{i}" });
            var reply = await call.ReadAsync().WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal($"m{i}", reply?.Value);
        }
        await call.RequestStream.CompleteAsync();
        Assert.Null(await call.ReadAsync());
    }

    [Fact]
    public async Task Rpc_exception_reaches_the_client_with_code_percent_encoded_message_and_trailers()
    {
        using var channel = server.Channel();
        const string detail = "héllo ✓ 100% done\r\n";
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Fail, new StringValue { Value = detail }));
        Assert.Equal(GrpcStatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(detail, error.Detail);
        Assert.Equal("yes", error.Trailers.GetValue(EchoService.FailureTrailer));
    }

    [Fact]
    public async Task Plain_exception_becomes_internal_with_a_generic_message_and_is_logged()
    {
        using var channel = server.Channel();
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Crash, new StringValue { Value = "x" }));
        Assert.Equal(GrpcStatusCode.Internal, error.StatusCode);
        Assert.DoesNotContain("secret", error.Detail);
        Assert.Contains(server.Logged, line => line.Contains("secret detail: x"));
    }

    [Fact]
    public async Task Unknown_method_is_unimplemented()
    {
        using var channel = server.Channel();
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Missing, new Empty()));
        Assert.Equal(GrpcStatusCode.Unimplemented, error.StatusCode);
        Assert.Contains("/wsss.test.Echo/Missing", error.Detail);
    }

    [Fact]
    public async Task Connection_refused_is_unavailable()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var channel = new GrpcClientChannel($"http://127.0.0.1:{port}");
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, new StringValue()));
        Assert.Equal(GrpcStatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task Many_concurrent_calls_share_one_connection()
    {
        using var channel = server.Channel();
        var calls = Enumerable.Range(0, 300).Select(async i =>
        {
            var reply = await channel.UnaryAsync(EchoService.Unary, new StringValue { Value = $"c{i}" });
            Assert.Equal($"c{i}", reply.Value);
            return (await channel.UnaryAsync(EchoService.Connection, new Empty())).Value;
        });
        var connections = await Task.WhenAll(calls);
        Assert.Single(connections.Distinct());
    }
}
