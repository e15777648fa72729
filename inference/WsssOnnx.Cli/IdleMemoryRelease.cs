using System.Runtime;

namespace WsssOnnx.Cli;

/// <summary>
/// Returns a burst's memory once the server is idle again. Requests allocate freely (large images, CRF buffers, ONNX
/// Runtime tensors) and neither .NET's GC nor glibc gives freed memory back by itself soon: measured after a burst of
/// 768x576 requests, 0.5 GB of managed heap and the glibc heap stayed resident. After requests have completed and none
/// is running or queued (or messages refused by a transport limit have left their buffers behind), one compacting full collection that releases memory to the OS
/// (<see cref="GCCollectionMode.Aggressive"/>) and then malloc_trim(0) hand it back. It only runs on the way into idle,
/// so a busy server never pays for it; MALLOC_TRIM_THRESHOLD_ in the environment turns the trim off.
/// </summary>
internal static class IdleMemoryRelease
{
    /// <summary>Checks every <paramref name="period"/> until <paramref name="stop"/>; <paramref name="completed"/> counts finished work.</summary>
    public static async Task RunAsync(Func<long> completed, Func<bool> busy, TimeSpan period, CancellationToken stop)
    {
        bool trim = Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is null;
        long seen = completed();
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                long now = completed();
                if (now == seen || busy()) continue;
                seen = now;
                GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                if (trim) GlibcAllocator.Trim();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
