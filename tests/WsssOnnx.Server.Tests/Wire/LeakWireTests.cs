using System.Diagnostics;
using Google.Protobuf;
using WsssOnnx.Protos.Wsss.V1;
using Xunit.Abstractions;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>Memory across many requests: what a leak per request would show grows linearly, so 1000 requests make it visible.</summary>
[Collection(WireCollection.Name)]
public sealed class LeakWireTests(ITestOutputHelper output)
{
    private const int Warmup = 500;
    private const int Total = 1500;
    // Slack: RSS moves with the GC's and ORT's arenas and the thread pool; a leak of even 50 KB a request would show as 50 MB.
    private const long RssSlack = 64L << 20;
    private const long HeapSlack = 16L << 20;

    [Fact]
    public async Task Memory_stays_flat_across_thousands_of_small_requests()
    {
        await using var wire = await WireServer.StartAsync(versions: "1");
        var request = WireServer.Segment(TestModels.ImagePng(32, 32));
        var (heap0, rss0) = (0L, 0L);
        var clock = Stopwatch.StartNew();
        for (int sent = 0; sent < Total;)
        {
            // Two clients at a time, as many as the server's slots.
            var pair = await Task.WhenAll(wire.Client.UnaryAsync(WsssApi.Segment, request), wire.Client.UnaryAsync(WsssApi.Segment, request));
            Assert.All(pair, r => Assert.Equal(32 * 32, r.Labels.Raw.Length));
            sent += 2;
            if (sent == Warmup) (heap0, rss0) = Measure();
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var (heap1, rss1) = Measure();
        output.WriteLine($"{Total} Segment requests (32x32) in {seconds:F1} s ({Total / seconds:F0}/s)");
        output.WriteLine($"after {Warmup}: managed heap {heap0 / 1e6:F1} MB, RSS {rss0 / 1e6:F1} MB");
        output.WriteLine($"after {Total}: managed heap {heap1 / 1e6:F1} MB, RSS {rss1 / 1e6:F1} MB");
        output.WriteLine($"growth over {Total - Warmup} requests: heap {(heap1 - heap0) / 1e6:F1} MB, RSS {(rss1 - rss0) / 1e6:F1} MB");
        Assert.True(heap1 - heap0 < HeapSlack, $"managed heap grew {(heap1 - heap0) / 1e6:F1} MB");
        Assert.True(rss1 - rss0 < RssSlack, $"RSS grew {(rss1 - rss0) / 1e6:F1} MB");
        var status = await wire.IdleStatusAsync();
        Assert.Equal((0, 0), (status.Running, status.Queued));
    }

    private static (long Heap, long Rss) Measure()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: false), process.WorkingSet64);
    }
}
