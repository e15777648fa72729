using System.Diagnostics;
using WsssOnnx.Grpc;

namespace WsssOnnx.Cli;

/// <summary>
/// A closed-loop load: a fixed number of callers, each sending its next call as soon as its last one ends, until a
/// given number of calls has been made. Latency is timed per call as the client sees it; a call that ends in a
/// non-OK status is counted under that status, not timed.
/// </summary>
internal static class ClosedLoopLoad
{
    /// <summary>Makes <paramref name="requests"/> calls of <paramref name="call"/> with <paramref name="callers"/> callers; <paramref name="done"/> runs after each.</summary>
    public static async Task<Result> RunAsync(int requests, int callers, Func<CancellationToken, Task> call, Action done, CancellationToken cancellation = default)
    {
        int next = -1;
        var latencies = new List<double>[callers];
        var errors = new Dictionary<GrpcStatusCode, int>[callers];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = [];
            var failed = errors[c] = [];
            while (Interlocked.Increment(ref next) < requests)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    await call(cancellation).ConfigureAwait(false);
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (RpcException e) when (!cancellation.IsCancellationRequested)
                {
                    failed[e.StatusCode] = failed.GetValueOrDefault(e.StatusCode) + 1;
                }
                done();
            }
        }, cancellation))).ConfigureAwait(false);
        var elapsed = clock.Elapsed;
        var allErrors = new Dictionary<GrpcStatusCode, int>();
        foreach (var (code, count) in errors.SelectMany(e => e)) allErrors[code] = allErrors.GetValueOrDefault(code) + count;
        return new Result([.. latencies.SelectMany(l => l)], allErrors, elapsed);
    }

    /// <param name="LatenciesMs">Latency of each OK call, in milliseconds, in no particular order.</param>
    /// <param name="Errors">Calls that ended in each non-OK status.</param>
    /// <param name="Elapsed">Wall time from the first call's start to the last call's end.</param>
    public sealed record Result(IReadOnlyList<double> LatenciesMs, IReadOnlyDictionary<GrpcStatusCode, int> Errors, TimeSpan Elapsed);
}
