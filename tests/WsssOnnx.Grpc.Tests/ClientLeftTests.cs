using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using WsssOnnx.Grpc.Server;

namespace WsssOnnx.Grpc.Tests;

/// <summary>
/// GrpcServerCallContext.ClientLeftAsync: an I/O error or cancellation is a client that went away once Kestrel flags the
/// abort, which on a loaded server can come hundreds of milliseconds after the error.
/// </summary>
public sealed class ClientLeftTests
{
    private static (GrpcServerCallContext Context, CancellationTokenSource Aborted) Call()
    {
        var aborted = new CancellationTokenSource();
        var http = new DefaultHttpContext { RequestAborted = aborted.Token };
        return (new GrpcServerCallContext(http, "/test/Method", null, aborted.Token, _ => Task.CompletedTask), aborted);
    }

    [Fact]
    public async Task An_io_error_whose_abort_is_flagged_half_a_second_later_is_a_client_that_left()
    {
        // Regression: the wait was 200 ms (and blocked a thread), so a late flag made a client's reset an unexpected error.
        var (context, aborted) = Call();
        aborted.CancelAfter(TimeSpan.FromMilliseconds(500));
        Assert.True(await context.ClientLeftAsync(new IOException("The client reset the request stream.")));
        Assert.True(await context.ClientLeftAsync(new OperationCanceledException()));
    }

    [Fact]
    public async Task An_io_error_without_an_abort_is_the_servers_after_the_wait_and_other_errors_are_at_once()
    {
        var (context, _) = Call();
        var clock = Stopwatch.StartNew();
        Assert.False(await context.ClientLeftAsync(new IOException("disk full")));
        Assert.InRange(clock.Elapsed, GrpcServerCallContext.AbortFlagWait * 0.9, TimeSpan.FromSeconds(30));

        var (other, aborted) = Call();
        aborted.Cancel();
        Assert.False(await other.ClientLeftAsync(new InvalidOperationException("a bug")));
    }
}
