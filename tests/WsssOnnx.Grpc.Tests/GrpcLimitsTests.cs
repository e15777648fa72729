using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using WsssOnnx.Grpc.Client;
using WsssOnnx.Grpc.Server;

namespace WsssOnnx.Grpc.Tests;

/// <summary>Message sizes, compression and protocol violations: the server has 64 KiB limits each way.</summary>
public sealed class GrpcLimitsTests : IAsyncLifetime
{
    private const int Limit = 64 * 1024;
    private EchoServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await EchoServer.StartAsync(new GrpcServerOptions { MaxReceiveMessageSize = Limit, MaxSendMessageSize = Limit, ResponseCompression = true });

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Oversize_request_is_resource_exhausted()
    {
        using var channel = _server.Channel();
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, new StringValue { Value = new string('a', Limit + 1) }));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Oversize_length_prefix_is_refused_before_the_body_arrives()
    {
        // Prefix announces 1 GiB, then the client stalls: the server must answer from the prefix alone.
        var prefix = new byte[] { 0, 0x40, 0, 0, 0 };
        var response = await RawHttp2.PostAsync(_server.Port, EchoService.Unary.FullName, "application/grpc", new RawHttp2.EndlessContent(prefix))
            .WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(((int)GrpcStatusCode.ResourceExhausted).ToString(CultureInfo.InvariantCulture), RawHttp2.Status(response));
    }

    [Fact]
    public async Task Writes_after_the_server_ended_a_client_stream_fail_instead_of_hanging()
    {
        using var channel = _server.Channel();
        using var call = channel.ClientStreaming(EchoService.ClientStream);
        await call.RequestStream.WriteAsync(new StringValue { Value = new string('a', Limit + 1) });
        var writing = Task.Run(async () =>
        {
            for (var i = 0; i < 10_000; i++) await call.RequestStream.WriteAsync(new StringValue { Value = "more" });
        });
        var writeError = await Assert.ThrowsAnyAsync<Exception>(() => writing.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(writeError is RpcException or InvalidOperationException, writeError.ToString());
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync());
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Oversize_response_is_resource_exhausted_from_the_server()
    {
        using var channel = _server.Channel();
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Big, new Int32Value { Value = Limit + 10 }));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("Sending message larger than max", error.Detail);
    }

    [Fact]
    public async Task Oversize_response_is_resource_exhausted_on_the_client()
    {
        using var channel = _server.Channel(new GrpcClientOptions { MaxReceiveMessageSize = 1000, AcceptCompressedResponses = false });
        Assert.Equal(500, (await channel.UnaryAsync(EchoService.Big, new Int32Value { Value = 500 })).Value.Length);
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Big, new Int32Value { Value = 2000 }));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("Received message larger than max", error.Detail);
    }

    [Fact]
    public async Task Oversize_request_is_refused_by_the_client_before_sending()
    {
        using var channel = _server.Channel(new GrpcClientOptions { MaxSendMessageSize = 100 });
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, new StringValue { Value = new string('a', 200) }));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Gzip_requests_and_responses_round_trip()
    {
        using var channel = _server.Channel(new GrpcClientOptions { CompressRequests = true });
        var text = string.Concat(Enumerable.Repeat("compressible ", 3000)); // 39 kB, well under the limit once compressed or not
        var result = await channel.UnaryWithMetadataAsync(EchoService.Unary, new StringValue { Value = text });
        Assert.Equal(text, result.Response.Value);
        Assert.Equal("gzip", result.Headers.GetValue("grpc-encoding"));
        Assert.Equal("gzip", (await channel.UnaryAsync(EchoService.Encoding, new Empty())).Value);
    }

    [Fact]
    public async Task Responses_stay_uncompressed_when_the_client_does_not_accept_gzip()
    {
        using var channel = _server.Channel(new GrpcClientOptions { AcceptCompressedResponses = false });
        var result = await channel.UnaryWithMetadataAsync(EchoService.Unary, new StringValue { Value = "plain" });
        Assert.Null(result.Headers.GetValue("grpc-encoding"));
    }

    [Fact]
    public async Task Decompression_bomb_is_stopped_at_the_receive_limit()
    {
        // 1 MiB of zeros gzips to about 1 kB: under the prefix limit, over the decompressed one.
        using var channel = _server.Channel(new GrpcClientOptions { CompressRequests = true });
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Unary, new StringValue { Value = new string('\0', 1 << 20) }));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Unsupported_encoding_is_unimplemented_and_lists_ours()
    {
        var body = new ByteArrayContent(RawHttp2.Frame(new StringValue { Value = "x" }.ToByteArray(), compressed: true));
        var response = await RawHttp2.PostAsync(_server.Port, EchoService.Unary.FullName, "application/grpc", body, ("grpc-encoding", "br"));
        Assert.Equal(((int)GrpcStatusCode.Unimplemented).ToString(CultureInfo.InvariantCulture), RawHttp2.Status(response));
        Assert.Contains("gzip", response.Headers.GetValues("grpc-accept-encoding").Single());
    }

    [Fact]
    public async Task Compressed_flag_without_an_encoding_is_internal()
    {
        var body = new ByteArrayContent(RawHttp2.Frame([1, 2, 3], compressed: true));
        var response = await RawHttp2.PostAsync(_server.Port, EchoService.Unary.FullName, "application/grpc", body);
        Assert.Equal(((int)GrpcStatusCode.Internal).ToString(CultureInfo.InvariantCulture), RawHttp2.Status(response));
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("application/grpc+json")]
    public async Task Non_grpc_content_type_gets_http_415(string contentType)
    {
        var body = new ByteArrayContent(RawHttp2.Frame([]));
        var response = await RawHttp2.PostAsync(_server.Port, EchoService.Unary.FullName, contentType, body);
        Assert.Equal(System.Net.HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Grpc_proto_content_type_and_split_frames_are_accepted()
    {
        var one = RawHttp2.Frame(new StringValue { Value = "split" }.ToByteArray());
        var response = await RawHttp2.PostAsync(_server.Port, EchoService.Unary.FullName, "application/grpc+proto", new ByteArrayContent(one));
        Assert.Equal("0", RawHttp2.Status(response));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("split", StringValue.Parser.ParseFrom(body.AsSpan(5).ToArray()).Value);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Unary_request_with_other_than_one_message_is_unimplemented(int count)
    {
        var frames = Enumerable.Repeat(RawHttp2.Frame(new StringValue { Value = "x" }.ToByteArray()), count).SelectMany(f => f).ToArray();
        var response = await RawHttp2.PostAsync(_server.Port, EchoService.Unary.FullName, "application/grpc", new ByteArrayContent(frames));
        Assert.Equal(((int)GrpcStatusCode.Unimplemented).ToString(CultureInfo.InvariantCulture), RawHttp2.Status(response));
    }

    [Fact]
    public async Task Unparsable_request_is_internal()
    {
        var response = await RawHttp2.PostAsync(_server.Port, EchoService.Unary.FullName, "application/grpc",
            new ByteArrayContent(RawHttp2.Frame([0x0A, 0x7F, 0x01])));
        Assert.Equal(((int)GrpcStatusCode.Internal).ToString(CultureInfo.InvariantCulture), RawHttp2.Status(response));
    }
}
