using System.Collections.Concurrent;
using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using WsssOnnx.Grpc.Client;
using WsssOnnx.Grpc.Server;

namespace WsssOnnx.Grpc.Tests;

/// <summary>
/// GrpcTransportLimits over real sockets: what a client can make the server hold (connections, streams, windows,
/// partly sent messages) is bounded, and each refusal is a gRPC status or an HTTP/2 frame, reported to Refused.
/// </summary>
public sealed class GrpcTransportLimitsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly string ResourceExhausted = ((int)GrpcStatusCode.ResourceExhausted).ToString(CultureInfo.InvariantCulture);

    private readonly ConcurrentQueue<string> _refused = new();

    private Task<EchoServer> Start(GrpcTransportLimits limits, int maxMessage = 4 * 1024 * 1024) =>
        EchoServer.StartAsync(new GrpcServerOptions { MaxReceiveMessageSize = maxMessage }, limits with { Refused = _refused.Enqueue });

    /// <summary>Windows small enough for a held stream's unread 96 kB to leave 64 kB of the connection's; 1 s message idle timeout.</summary>
    private Task<EchoServer> StartWithSmallWindows() => Start(new GrpcTransportLimits
    {
        InitialStreamWindowSize = 128 * 1024,
        InitialConnectionWindowSize = 160 * 1024,
        IncompleteMessageIdleTimeout = TimeSpan.FromSeconds(1),
    });

    [Fact]
    public async Task Settings_advertise_the_stream_limit_and_the_flow_control_windows()
    {
        var server = await Start(new GrpcTransportLimits { MaxStreamsPerConnection = 3, InitialStreamWindowSize = 128 * 1024, InitialConnectionWindowSize = 256 * 1024 });
        try
        {
            await using var connection = await RawHttp2Connection.ConnectAsync(server.Port);
            var settings = await connection.ReadUntilAsync(f => f.Type == RawHttp2Connection.Settings, Wait);
            var values = settings!.SettingValues();
            Assert.Equal(3u, values[0x3]);          // SETTINGS_MAX_CONCURRENT_STREAMS
            Assert.Equal(128u * 1024, values[0x4]); // SETTINGS_INITIAL_WINDOW_SIZE
            // RFC 9113 6.9.2: the connection window starts at 65 535 and grows only by WINDOW_UPDATE on stream 0.
            var update = await connection.ReadUntilAsync(f => f.Type == RawHttp2Connection.WindowUpdate && f.StreamId == 0, Wait);
            Assert.Equal(256u * 1024 - 65_535, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(update!.Payload));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_stream_over_the_per_connection_limit_is_reset_with_refused_stream()
    {
        var server = await Start(new GrpcTransportLimits { MaxStreamsPerConnection = 2 });
        try
        {
            await using var connection = await RawHttp2Connection.ConnectAsync(server.Port);
            await connection.ReadUntilAsync(f => f.Type == RawHttp2Connection.Settings, Wait);
            // Two streams left open (no END_STREAM), then a third.
            for (int stream = 1; stream <= 5; stream += 2) await connection.SendRequestHeadersAsync(stream, EchoService.ClientStream.FullName);
            var reset = await connection.ReadUntilAsync(f => f.Type == RawHttp2Connection.RstStream, Wait);
            Assert.Equal((5, RawHttp2Connection.RefusedStream), (reset!.StreamId, reset.ErrorCode));
            Assert.Equal([GrpcTransportLimits.Streams], _refused);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_connection_over_the_server_limit_gets_goaway_and_the_server_serves_again_when_one_closes()
    {
        var server = await Start(new GrpcTransportLimits { MaxConnections = 2 });
        try
        {
            var first = await RawHttp2Connection.ConnectAsync(server.Port);
            await using var second = await RawHttp2Connection.ConnectAsync(server.Port);
            foreach (var open in new[] { first, second }) await open.ReadUntilAsync(f => f.Type == RawHttp2Connection.Settings, Wait);
            // RFC 9113 6.8: last-stream-id 0, no stream processed: the client may retry anywhere.
            Assert.Equal(0, (await GoAwayOfConnectionOverLimit(server.Port)).LastStreamId);
            Assert.Contains(GrpcTransportLimits.Connections, _refused);

            await first.DisposeAsync();
            for (int i = 0; ; i++) // the count drops when the server has seen the close
            {
                using var channel = server.Channel();
                try
                {
                    Assert.Equal("again", (await channel.UnaryAsync(EchoService.Unary, new StringValue { Value = "again" })).Value);
                    break;
                }
                catch (RpcException) when (i < 50)
                {
                    await Task.Delay(100);
                }
            }
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>
    /// Connects once more than the server admits and reads its GOAWAY, then the close. The server closes such a
    /// connection at once; when it closes before reading what the client sent, its kernel resets the connection
    /// (RFC 9293 3.6.1), and the client's next write fails or the unread GOAWAY is dropped. Such a try connects again.
    /// </summary>
    private static async Task<RawHttp2Connection.Frame> GoAwayOfConnectionOverLimit(int port)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await RawHttp2Connection.ConnectAsync(port);
                if (await connection.ReadUntilAsync(f => f.Type == RawHttp2Connection.GoAway, Wait) is { } goAway)
                {
                    Assert.Null(await connection.ReadUntilAsync(_ => false, Wait)); // then the server closes it
                    return goAway;
                }
            }
            catch (IOException) when (attempt < 5)
            {
                continue;
            }
            Assert.True(attempt < 5, $"no GOAWAY on {attempt} connections over the limit");
        }
    }

    [Fact]
    public async Task Partly_sent_messages_over_the_connection_budget_get_resource_exhausted()
    {
        // Regression: partly sent messages were buffered without limit (a connection's 100 streams could hold 1.6 GB).
        var server = await Start(new GrpcTransportLimits { MaxIncompleteBytesPerConnection = 1_500_000 }, maxMessage: 1_000_000);
        try
        {
            using var client = new HttpClient { Timeout = Wait };
            using var end = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            // Two streams of one connection each start a 1 MB message, which the server counts from its length prefix:
            // together they would take the connection past 1.5 MB, so whichever prefix arrives second is refused. The
            // first is sent 500 ms earlier, but on a busy machine its prefix can still arrive last.
            var first = RawHttp2.PostAsync(client, server.Port, EchoService.Unary.FullName, "application/grpc",
                new RawHttp2.EndlessContent(RawHttp2.PartialFrame(1_000_000, 600_000)), end.Token);
            await Task.Delay(500);
            var second = RawHttp2.PostAsync(client, server.Port, EchoService.Unary.FullName, "application/grpc",
                new RawHttp2.EndlessContent(RawHttp2.PartialFrame(1_000_000, 1000)), end.Token);
            var answered = await Task.WhenAny(first, second).WaitAsync(Wait);
            var holding = answered == first ? second : first;
            var refused = await answered;
            Assert.Equal(ResourceExhausted, RawHttp2.Status(refused));
            Assert.Contains("this connection", RawHttp2.Message(refused));
            Assert.Contains(GrpcTransportLimits.ConnectionBuffer, _refused);
            Assert.False(holding.IsCompleted);
            // The server budget is separate: a message on another connection fits.
            var other = await RawHttp2.PostAsync(server.Port, EchoService.Unary.FullName, "application/grpc",
                new ByteArrayContent(RawHttp2.Frame(new StringValue { Value = new string('a', 900_000) }.ToByteArray())));
            Assert.Equal("0", RawHttp2.Status(other));
            await end.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => holding);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_message_that_stalls_half_sent_ends_with_resource_exhausted_but_a_stream_may_idle_between_messages()
    {
        // Regression: a stalled message held its buffer (and the stream) for as long as the client liked.
        var server = await Start(new GrpcTransportLimits { IncompleteMessageIdleTimeout = TimeSpan.FromSeconds(1) });
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var stalled = await RawHttp2.PostAsync(server.Port, EchoService.Unary.FullName, "application/grpc",
                new RawHttp2.EndlessContent(RawHttp2.PartialFrame(100_000, 50_000))).WaitAsync(Wait);
            Assert.Equal(ResourceExhausted, RawHttp2.Status(stalled));
            Assert.Contains("Incomplete message", RawHttp2.Message(stalled));
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), Wait);
            Assert.Contains(GrpcTransportLimits.MessageTimeout, _refused);

            // Between messages there is no limit: a duplex stream idle for twice the timeout goes on.
            using var channel = server.Channel();
            using var call = channel.Duplex(EchoService.Duplex);
            await call.RequestStream.WriteAsync(new StringValue { Value = "before" });
            Assert.Equal("before", (await call.ReadAsync())!.Value);
            await Task.Delay(TimeSpan.FromSeconds(2));
            await call.RequestStream.WriteAsync(new StringValue { Value = "after" });
            await call.RequestStream.CompleteAsync();
            Assert.Equal("after", (await call.ReadAsync())!.Value);
            Assert.Null(await call.ReadAsync());
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_message_stalled_because_the_server_holds_another_stream_of_its_connection_is_not_timed_out()
    {
        // Regression: streams on one connection share its flow-control window, and a stream whose handler is busy leaves
        // what the client sent on it unread. Here the held stream's unread 96 kB and the first 64 kB of a 200 kB unary
        // message fill the 160 kB connection window, so the unary message stalls until the handler reads again; it was
        // refused after the 1 s idle timeout as if the client had stalled.
        var server = await StartWithSmallWindows();
        try
        {
            using var channel = server.Channel();
            using var held = channel.ClientStreaming(EchoService.Hold, new GrpcCallOptions { Headers = new Metadata().Add("x-probe", "held") });
            await held.RequestStream.WriteAsync(new StringValue { Value = "first" });
            await server.Echo.Probe("held:held").Task.WaitAsync(Wait);
            var unread = held.RequestStream.WriteAsync(new StringValue { Value = new string('u', 96 * 1024) });
            await Task.Delay(300);

            var stalled = channel.UnaryAsync(EchoService.Unary, new StringValue { Value = new string('s', 200 * 1024) });
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            Assert.False(stalled.IsCompleted, "the message could not have arrived while the connection's window was full");
            Assert.DoesNotContain(GrpcTransportLimits.MessageTimeout, _refused);
            // The excuse is the connection's: a message stalled by its client on another connection is still ended.
            var elsewhere = await RawHttp2.PostAsync(server.Port, EchoService.Unary.FullName, "application/grpc",
                new RawHttp2.EndlessContent(RawHttp2.PartialFrame(100_000, 50_000))).WaitAsync(Wait);
            Assert.Equal(ResourceExhausted, RawHttp2.Status(elsewhere));
            Assert.False(stalled.IsCompleted);

            server.Echo.Probe("held:release").TrySetResult("go");
            Assert.Equal(200 * 1024, (await stalled.WaitAsync(Wait)).Value.Length);
            await unread.WaitAsync(Wait);
            await held.RequestStream.CompleteAsync();
            Assert.Equal((5 + 96 * 1024).ToString(CultureInfo.InvariantCulture), (await held.ResponseAsync().WaitAsync(Wait)).Value);
            Assert.Equal([GrpcTransportLimits.MessageTimeout], _refused);

            // The channel keeps one connection (else the window would not have been shared).
            var first = await channel.UnaryAsync(EchoService.Connection, new Empty());
            var second = await channel.UnaryAsync(EchoService.Connection, new Empty());
            Assert.Equal(first.Value, second.Value);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_stall_behind_a_stream_whose_client_does_not_read_its_replies_is_the_clients_and_times_out()
    {
        // The other half of the rule above: a stream held because its reply waits for the client to read it (response flow
        // control) is the client's doing, so it excuses nothing. The duplex echo's 100 kB reply does not fit the client's
        // unread receive window; its next 96 kB stay unread, and a unary message stalls behind them as above.
        var server = await StartWithSmallWindows();
        try
        {
            using var channel = server.Channel();
            using var unread = channel.Duplex(EchoService.Duplex);
            await unread.RequestStream.WriteAsync(new StringValue { Value = new string('r', 100 * 1024) });
            await Task.Delay(GrpcServerCall.ClientReadGrace + TimeSpan.FromMilliseconds(500));
            // Not awaited: its 96 kB stay unread while the stream is held.
            _ = unread.RequestStream.WriteAsync(new StringValue { Value = new string('u', 96 * 1024) });
            await Task.Delay(300);

            var clock = System.Diagnostics.Stopwatch.StartNew();
            var stalled = await Assert.ThrowsAsync<RpcException>(
                () => channel.UnaryAsync(EchoService.Unary, new StringValue { Value = new string('s', 200 * 1024) }).WaitAsync(Wait));
            Assert.Equal(GrpcStatusCode.ResourceExhausted, stalled.StatusCode);
            Assert.Contains("Incomplete message", stalled.Detail);
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), Wait);
            Assert.Equal([GrpcTransportLimits.MessageTimeout], _refused);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_message_trickling_in_below_the_minimum_rate_ends_with_resource_exhausted()
    {
        // The client sends 100 bytes every 200 ms (500 bytes/s at most), so the 6 kB message would take 12 s; the rate rule
        // wants it within 6 s + 6 kB / (2 kB/s) = 9 s. The idle timeout is 6 s so that only a client stalled for 6 s could trip
        // it (a loaded 2-core machine stretched a 200 ms gap past an earlier 3 s timeout). Refused after 8.5 s or more with
        // part of the message received, it was the rate and not the idle timeout. A stall of the test's own client says
        // nothing about the server, so such a try is repeated, twice at most.
        var server = await Start(new GrpcTransportLimits { IncompleteMessageIdleTimeout = TimeSpan.FromSeconds(6), MinMessageDataRate = 2000 });
        try
        {
            TimeSpan elapsed = TimeSpan.Zero;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(40) };
                var trickle = new RawHttp2.TrickleContent(RawHttp2.PartialFrame(6000, 0), chunks: 60, chunkSize: 100, TimeSpan.FromMilliseconds(200));
                var slow = await RawHttp2.PostAsync(client, server.Port, EchoService.Unary.FullName, "application/grpc", trickle, CancellationToken.None)
                    .WaitAsync(TimeSpan.FromSeconds(45));
                elapsed = clock.Elapsed;
                Assert.Equal(ResourceExhausted, RawHttp2.Status(slow));
                Assert.Contains("Incomplete message", RawHttp2.Message(slow));
                if (elapsed >= TimeSpan.FromSeconds(8.5)) return;
            }
            Assert.Fail($"refused after {elapsed} three times: the idle timeout, not the rate");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
