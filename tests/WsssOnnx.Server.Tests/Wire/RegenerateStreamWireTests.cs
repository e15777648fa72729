using Google.Protobuf;
using Microsoft.Extensions.Logging;
using WsssOnnx.Grpc;
using WsssOnnx.Grpc.Client;
using WsssOnnx.Protos.Wsss.V1;
using Xunit.Abstractions;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>RegenerateLabels against clients that misbehave: one that never reads its replies, one that hangs up mid-stream.</summary>
[Collection(WireCollection.Name)]
public sealed class RegenerateStreamWireTests(ITestOutputHelper output)
{
    private static RegenerateLabelsRequest Options(uint inFlight) => new()
    {
        Options = new RegenerateOptions { Method = AttributionMethod.Cam, Label = LabelKind.Seeds, MaxInFlight = inFlight },
    };

    /// <summary>An item whose id is <paramref name="idLength"/> characters: the reply echoes it, so replies are that large.</summary>
    private static RegenerateLabelsRequest Item(int index, int idLength = 8)
    {
        var sample = WireServer.Sample;
        var item = new RegenerateItem { Id = index.ToString("D4", System.Globalization.CultureInfo.InvariantCulture).PadRight(idLength, 'x'), Image = ByteString.CopyFrom(sample.Jpeg) };
        item.Classes.Add(sample.Classes[0]);
        return new RegenerateLabelsRequest { Item = item };
    }

    [Fact]
    public async Task A_client_that_never_reads_its_replies_stops_the_server_reading_its_items()
    {
        // Regression: an item's stream slot was released before its reply was written, so the server kept reading and
        // labelling, and every unwritten reply (with its item's image) stayed in memory.
        await using var wire = await WireServer.StartAsync(versions: "1");
        const int Items = 48;
        const uint InFlight = 2;
        using var call = wire.Client.Duplex(WsssApi.RegenerateLabels);
        // 16 KiB replies: a handful fill the flow-control window and the buffers between the server and this client.
        var writing = Task.Run(async () =>
        {
            await call.RequestStream.WriteAsync(Options(InFlight));
            for (int i = 0; i < Items; i++) await call.RequestStream.WriteAsync(Item(i, idLength: 16 * 1024));
            await call.RequestStream.CompleteAsync();
        });

        // Watch the server until it stops taking items (no change for 1.5 s) or has labelled all of them.
        double labelled = -1, pending = 0;
        var unchangedSince = DateTime.UtcNow;
        var end = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < end && labelled < Items && DateTime.UtcNow - unchangedSince < TimeSpan.FromSeconds(1.5))
        {
            await Task.Delay(100);
            var metrics = await wire.MetricsAsync();
            double now = WireServer.Metric(metrics, "wsss_regenerated_items_total");
            pending = WireServer.Metric(metrics, "wsss_regenerate_replies_pending");
            if (now != labelled) (labelled, unchangedSince) = (now, DateTime.UtcNow);
        }
        output.WriteLine($"a client not reading: the server labelled {labelled} of {Items} items; {pending} replies pending");
        Assert.InRange(labelled, InFlight, Items / 2);
        Assert.Equal(InFlight, pending);
        Assert.False(writing.IsCompleted, "the client could send every item although the server had stopped reading");

        // Once the client reads, everything arrives and the stream ends cleanly.
        var ids = new HashSet<string>();
        while (await call.ReadAsync() is { } reply)
        {
            Assert.Equal(RegenerateLabelsResponse.ResultOneofCase.Labels, reply.ResultCase);
            ids.Add(reply.Id[..4]);
        }
        await writing;
        Assert.Equal(Items, ids.Count);
        Assert.Equal(0, WireServer.Metric(await wire.MetricsAsync(), "wsss_regenerate_replies_pending"));
    }

    [Fact]
    public async Task Many_streams_together_hold_no_more_unlabelled_items_than_the_admission_queue()
    {
        // Regression: each stream read up to max_in_flight items and left them waiting for admission, uncounted by the
        // queue, so a client with many streams made the server hold any number of request images (8 streams of 64
        // items of 2 MB held 512 items and 1 GB).
        const int Streams = 4, Items = 12;
        await using var wire = await WireServer.StartAsync(o => o with { ConcurrencyLimit = 1, QueueCapacity = 2 }, "1");
        int places = 1 + 2;
        using var sampling = new CancellationTokenSource();
        int mostWaiting = 0;
        var watch = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                mostWaiting = Math.Max(mostWaiting, wire.Server.Admission.Queued + wire.Server.Admission.Running);
                await Task.Delay(1);
            }
        });

        async Task<int> Labelled(int stream)
        {
            using var call = wire.Client.Duplex(WsssApi.RegenerateLabels);
            var options = Options(8);
            options.Options.Method = AttributionMethod.Advcam;
            options.Options.Parameters = new AdvCamParameters { Steps = 10, Scales = { 1.0f } };
            var writing = Task.Run(async () =>
            {
                await call.RequestStream.WriteAsync(options);
                for (int i = 0; i < Items; i++) await call.RequestStream.WriteAsync(Item(stream * 100 + i));
                await call.RequestStream.CompleteAsync();
            });
            int labelled = 0;
            while (await call.ReadAsync() is { } reply) labelled += reply.ResultCase == RegenerateLabelsResponse.ResultOneofCase.Labels ? 1 : 0;
            await writing;
            return labelled;
        }

        var labelled = await Task.WhenAll(Enumerable.Range(0, Streams).Select(Labelled));
        await sampling.CancelAsync();
        await watch;
        output.WriteLine($"{Streams} streams of max_in_flight 8: at most {mostWaiting} items waiting or running at once ({places} places)");
        Assert.Equal(Enumerable.Repeat(Items, Streams), labelled);
        Assert.InRange(mostWaiting, 1, places);
    }

    [Fact]
    public async Task Streams_idling_between_their_items_leave_the_shared_places_to_others()
    {
        // Regression: a stream took its place among the unlabelled items before reading its next message, so as many
        // streams as there are places (concurrency + queue), idle after an item, stopped every other stream.
        await using var wire = await WireServer.StartAsync(o => o with { ConcurrencyLimit = 1, QueueCapacity = 2 }, "1");
        var idle = new List<GrpcClientCall<RegenerateLabelsRequest, RegenerateLabelsResponse>>();
        try
        {
            for (int s = 0; s < 1 + 2; s++)
            {
                var call = wire.Client.Duplex(WsssApi.RegenerateLabels);
                idle.Add(call);
                await call.RequestStream.WriteAsync(Options(2));
                await call.RequestStream.WriteAsync(Item(s));
                Assert.NotNull(await call.ReadAsync());
            }

            using var busy = wire.Client.Duplex(WsssApi.RegenerateLabels);
            await busy.RequestStream.WriteAsync(Options(2));
            for (int i = 0; i < 3; i++) await busy.RequestStream.WriteAsync(Item(100 + i));
            await busy.RequestStream.CompleteAsync();
            async Task<int> Labelled()
            {
                int labelled = 0;
                while (await busy.ReadAsync() is { } reply) labelled += reply.ResultCase == RegenerateLabelsResponse.ResultOneofCase.Labels ? 1 : 0;
                return labelled;
            }
            Assert.Equal(3, await Labelled().WaitAsync(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            foreach (var call in idle) call.Dispose();
        }
    }

    [Fact]
    public async Task A_client_hanging_up_mid_stream_is_logged_below_warning()
    {
        // Regression: the broken request stream reached the request log as an unexpected error (level fail).
        var log = new LogCapture();
        await using var wire = await WireServer.StartAsync(null, log, null, "1");
        var call = wire.Client.Duplex(WsssApi.RegenerateLabels);
        await call.RequestStream.WriteAsync(Options(1));
        await call.RequestStream.WriteAsync(Item(0));
        Assert.NotNull(await call.ReadAsync());
        call.Dispose(); // RST_STREAM with the request stream still open
        await WireServer.Until(async () => WireServer.RequestCount(await wire.MetricsAsync(), "Cancelled", WsssApi.RegenerateLabels.FullName) == 1,
            "the hung-up stream is counted");
        await wire.Client.UnaryAsync(WsssApi.GetStatus, new GetStatusRequest()); // still serving
        foreach (var entry in log.Entries) output.WriteLine($"{entry.Level} {entry.Category}: {entry.Message}");
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Warning);
    }
}
