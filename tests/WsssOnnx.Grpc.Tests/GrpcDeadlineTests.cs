using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using WsssOnnx.Grpc.Client;
using WsssOnnx.Grpc.Server;

namespace WsssOnnx.Grpc.Tests;

/// <summary>Deadlines, cancellation and disconnects, seen from both ends.</summary>
public sealed class GrpcDeadlineTests(EchoServer server) : IClassFixture<EchoServer>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Deadline_expires_on_the_server_and_the_client_gets_deadline_exceeded()
    {
        using var channel = server.Channel();
        await channel.UnaryAsync(EchoService.Unary, new StringValue()); // connected, so the deadline is spent on the call itself
        var probe = server.Echo.Probe("deadline");
        // 3 s, not less: the handler must start before the deadline for the server side to be seen, and on 2 cores shared
        // with the other test assemblies a 1 s deadline once expired before the handler ran (the probe then never fired).
        var options = new GrpcCallOptions { Deadline = DateTime.UtcNow.AddMilliseconds(3000), Headers = new Metadata().Add("x-probe", "deadline") };
        var started = DateTime.UtcNow;
        var call = channel.UnaryAsync(EchoService.Sleep, new Int32Value { Value = 20_000 }, options);
        Assert.Equal("started", await server.Echo.Probe("deadline:started").Task.WaitAsync(Wait));
        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(GrpcStatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(2950), TimeSpan.FromSeconds(7));
        // The client's timer started first, so its RST_STREAM may reach the handler before the server's own timer fires.
        Assert.Contains(await probe.Task.WaitAsync(Wait), new[] { "deadline", "cancelled" });
    }

    [Fact]
    public async Task Deadlines_expiring_while_the_call_is_being_set_up_end_as_deadline_exceeded()
    {
        // Regression: the client's deadline timer could fire before the call had started its send, and its callback
        // then dereferenced the missing response on a timer thread, which ended the process.
        using var channel = server.Channel();
        await channel.UnaryAsync(EchoService.Unary, new StringValue());
        for (int i = 0; i < 400; i++)
        {
            var options = new GrpcCallOptions { Deadline = DateTime.UtcNow.AddTicks(i % 20 * TimeSpan.TicksPerMillisecond / 10) };
            try
            {
                await channel.UnaryAsync(EchoService.Unary, new StringValue { Value = "x" }, options);
            }
            catch (RpcException e)
            {
                Assert.Equal(GrpcStatusCode.DeadlineExceeded, e.StatusCode);
            }
        }
        Assert.Equal("y", (await channel.UnaryAsync(EchoService.Unary, new StringValue { Value = "y" })).Value);
    }

    [Fact]
    public async Task Server_enforces_grpc_timeout_by_itself()
    {
        // A raw client that sends grpc-timeout but never gives up: only the server's deadline can end the call.
        var probe = server.Echo.Probe("server-deadline");
        var body = new ByteArrayContent(RawHttp2.Frame(new Int32Value { Value = 20_000 }.ToByteArray()));
        var response = await RawHttp2.PostAsync(server.Port, EchoService.Sleep.FullName, "application/grpc", body,
            ("grpc-timeout", "200m"), ("x-probe", "server-deadline"));
        Assert.Equal("4", RawHttp2.Status(response));
        Assert.Equal("deadline", await probe.Task.WaitAsync(Wait));
    }

    [Theory]
    [InlineData("4294968S")] // just over 2^32 ms, the longest timer .NET arms (49.7 days)
    [InlineData("99999999M")]
    [InlineData("99999999H")] // the largest legal value: 11 400 years, past DateTime's range
    public async Task Timeouts_beyond_the_timer_range_are_served_as_the_infinite_future(string timeout)
    {
        // Regression: DateTime and CancelAfter overflowed, and the call ended in HTTP 500 with no grpc-status.
        var body = new ByteArrayContent(RawHttp2.Frame(new StringValue { Value = "far" }.ToByteArray()));
        var response = await RawHttp2.PostAsync(server.Port, EchoService.Unary.FullName, "application/grpc", body, ("grpc-timeout", timeout));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0", RawHttp2.Status(response));
        Assert.Equal("far", StringValue.Parser.ParseFrom((await response.Content.ReadAsByteArrayAsync()).AsSpan(5).ToArray()).Value);
    }

    [Fact]
    public async Task Client_deadline_at_the_end_of_time_is_sent_and_served()
    {
        using var channel = server.Channel(new GrpcClientOptions { DefaultTimeout = TimeSpan.MaxValue });
        Assert.Equal("a", (await channel.UnaryAsync(EchoService.Unary, new StringValue { Value = "a" })).Value);
        var options = new GrpcCallOptions { Deadline = DateTime.MaxValue };
        Assert.Equal("b", (await channel.UnaryAsync(EchoService.Unary, new StringValue { Value = "b" }, options)).Value);
    }

    [Fact]
    public async Task Client_resetting_at_its_own_deadline_counts_as_deadline_exceeded_and_an_early_reset_as_cancelled()
    {
        // Regression: a client's timer starts before it sends HEADERS, so its RST_STREAM at its deadline arrives before
        // ours fires, and such calls were counted as CANCELLED.
        var ended = new System.Collections.Concurrent.ConcurrentQueue<GrpcCallCompletion>();
        var echo = await EchoServer.StartAsync(new GrpcServerOptions { CallCompleted = ended.Enqueue });
        try
        {
            // The resets are timed from the moment the handler started (about when the server read HEADERS and started
            // its own clock), not from the send: under load, connecting can take longer than the client's whole wait.
            async Task ResetAfterStart(TimeSpan after, string timeout, string probe, bool mayEndFirst)
            {
                using var reset = new CancellationTokenSource();
                var body = new ByteArrayContent(RawHttp2.Frame(new Int32Value { Value = 20_000 }.ToByteArray()));
                var post = RawHttp2.PostAsync(echo.Port, EchoService.Sleep.FullName, "application/grpc", body, reset.Token, ("grpc-timeout", timeout), ("x-probe", probe));
                Assert.Equal("started", await echo.Echo.Probe(probe + ":started").Task.WaitAsync(Wait));
                await Task.Delay(after);
                await reset.CancelAsync();
                try
                {
                    var response = await post;
                    // A slow scheduler let the server's own timer fire first: its status is the same one.
                    Assert.True(mayEndFirst, "the call ended before the client reset it");
                    Assert.Equal("4", RawHttp2.Status(response));
                }
                catch (OperationCanceledException)
                {
                }
            }
            // As a client whose timer started 350 ms before the request left: the reset lands within ClientDeadlineLead
            // (500 ms) of the server's deadline.
            await ResetAfterStart(TimeSpan.FromMilliseconds(1650), "2S", "at-deadline", mayEndFirst: true);
            await ResetAfterStart(TimeSpan.Zero, "20S", "early", mayEndFirst: false); // a real cancellation, long before the deadline
            for (var i = 0; i < 1000 && ended.Count(c => c.Method == EchoService.Sleep.FullName) < 2; i++) await Task.Delay(10);
            Assert.Equal([GrpcStatusCode.DeadlineExceeded, GrpcStatusCode.Cancelled],
                ended.Where(c => c.Method == EchoService.Sleep.FullName).Select(c => c.Status));
        }
        finally
        {
            await echo.DisposeAsync();
        }
    }

    [Fact]
    public async Task Default_timeout_of_the_channel_applies_to_calls_without_a_deadline()
    {
        using var channel = server.Channel(new GrpcClientOptions { DefaultTimeout = TimeSpan.FromMilliseconds(200) });
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Sleep, new Int32Value { Value = 20_000 }));
        Assert.Equal(GrpcStatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task Call_within_its_deadline_completes()
    {
        using var channel = server.Channel();
        var options = new GrpcCallOptions { Deadline = DateTime.UtcNow.AddSeconds(10) };
        await channel.UnaryAsync(EchoService.Sleep, new Int32Value { Value = 10 }, options);
    }

    [Fact]
    public async Task Client_cancellation_is_cancelled_on_the_client_and_observed_by_the_server_handler()
    {
        using var channel = server.Channel();
        using var cancel = new CancellationTokenSource();
        var probe = server.Echo.Probe("cancel");
        var options = new GrpcCallOptions { CancellationToken = cancel.Token, Headers = new Metadata().Add("x-probe", "cancel") };
        var call = channel.UnaryAsync(EchoService.Sleep, new Int32Value { Value = 20_000 }, options);
        await server.Echo.Probe("cancel:started").Task.WaitAsync(Wait);
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(GrpcStatusCode.Cancelled, error.StatusCode);
        Assert.Equal("cancelled", await probe.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task Disposing_a_streaming_call_cancels_it_on_the_server()
    {
        using var channel = server.Channel();
        var probe = server.Echo.Probe("dispose");
        using (var call = channel.ServerStreaming(EchoService.ServerStream, new Int32Value { Value = -1 },
                   new GrpcCallOptions { Headers = new Metadata().Add("x-probe", "dispose") }))
        {
            Assert.Equal("0", (await call.ReadAsync())?.Value);
        }
        Assert.Equal("cancelled", await probe.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task Client_disconnecting_mid_stream_leaves_other_calls_served()
    {
        using var steady = server.Channel();
        var probe = server.Echo.Probe("disconnect");
        System.Net.Sockets.Socket? socket = null;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        using var leaving = server.Channel(new GrpcClientOptions { Handler = handler });
        var call = leaving.ServerStreaming(EchoService.ServerStream, new Int32Value { Value = -1 },
            new GrpcCallOptions { Headers = new Metadata().Add("x-probe", "disconnect") });
        for (var i = 0; i < 3; i++) Assert.NotNull(await call.ReadAsync());
        socket!.Close(); // the TCP connection goes away under the open stream
        Assert.Equal("cancelled", await probe.Task.WaitAsync(Wait));
        for (var i = 0; i < 20; i++)
            Assert.Equal($"still {i}", (await steady.UnaryAsync(EchoService.Unary, new StringValue { Value = $"still {i}" })).Value);
        // Messages already buffered may still be read; then the broken connection surfaces.
        var error = await Assert.ThrowsAsync<RpcException>(async () => { while (await call.ReadAsync() is not null) { } });
        Assert.NotEqual(GrpcStatusCode.OK, error.StatusCode);
        call.Dispose();
    }
}
