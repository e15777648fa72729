using Google.Protobuf;
using WsssOnnx.Grpc;
using WsssOnnx.Grpc.Client;
using WsssOnnx.Protos.Wsss.V1;
using Xunit.Abstractions;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>Bad requests over a real socket, each followed by a good one: every bad one gets its status, the server keeps serving.</summary>
[Collection(WireCollection.Name)]
public sealed class BadInputWireTests(WireFixture fixture, ITestOutputHelper output) : IClassFixture<WireFixture>
{
    private readonly WireServer _wire = fixture.Wire;

    private GrpcClientChannel Client => _wire.Client;

    [Fact]
    public async Task Bad_requests_get_their_status_and_the_server_keeps_serving()
    {
        byte[] corrupt = [.. WireServer.Sample.Jpeg.AsSpan(0, 600), .. new byte[400]];
        byte[] oversize = new byte[WireServer.MaxReceiveMessageSize + 4096];
        new Random(6).NextBytes(oversize);
        var cases = new (string Name, Func<Task> Call, GrpcStatusCode Code, string Detail)[]
        {
            ("corrupt jpeg (Segment)", () => Client.UnaryAsync(WsssApi.Segment, WireServer.Segment(corrupt)), GrpcStatusCode.InvalidArgument, "image"),
            ("corrupt jpeg (Attribute)", () => Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(change: r => r.Image = ByteString.CopyFrom(corrupt))),
                GrpcStatusCode.InvalidArgument, "image"),
            ("not an image", () => Client.UnaryAsync(WsssApi.Segment, WireServer.Segment("hello"u8.ToArray())), GrpcStatusCode.InvalidArgument, "image"),
            ("empty SegmentRequest", () => Client.UnaryAsync(WsssApi.Segment, new SegmentRequest()), GrpcStatusCode.InvalidArgument, "image"),
            ("empty AttributeRequest", () => Client.UnaryAsync(WsssApi.Attribute, new AttributeRequest()), GrpcStatusCode.InvalidArgument, "classes"),
            ("empty ModelVersionRequest", () => Client.UnaryAsync(WsssApi.ActivateModel, new ModelVersionRequest()), GrpcStatusCode.InvalidArgument, "version"),
            ("unknown class", () => Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(change: r => { r.Classes.Clear(); r.Classes.Add("unicorn"); })),
                GrpcStatusCode.InvalidArgument, "unicorn"),
            ("unknown model", () => Client.UnaryAsync(WsssApi.Segment, new SegmentRequest(WireServer.Segment()) { Model = new ModelSelector { Name = "nope" } }),
                GrpcStatusCode.NotFound, "nope"),
            ("unknown version", () => Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(change: r => r.Model = new ModelSelector { Version = "9" })),
                GrpcStatusCode.NotFound, "\"9\""),
            ("activate unknown version", () => Client.UnaryAsync(WsssApi.ActivateModel, new ModelVersionRequest { Version = "9" }), GrpcStatusCode.NotFound, "9"),
            // A name that can name no folder is malformed whatever the models folder holds (statuscodes.md: INVALID_ARGUMENT).
            ("load path-like version", () => Client.UnaryAsync(WsssApi.LoadModel, new ModelVersionRequest { Version = "../default/1" }),
                GrpcStatusCode.InvalidArgument, "is not a version folder name"),
            ("steps 0", () => Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(steps: 0)), GrpcStatusCode.InvalidArgument, "parameters.steps"),
            ("scales 9", () => Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(change: r => { r.Parameters.Scales.Clear(); r.Parameters.Scales.Add(9f); })),
                GrpcStatusCode.InvalidArgument, "parameters.scales"),
            ("background threshold 2", () => Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(change: r => r.BackgroundThreshold = 2f)),
                GrpcStatusCode.InvalidArgument, "background_threshold"),
            // uint32 on the wire: the message quotes the value sent, not the int it was clamped to.
            ("steps past int's range", () => Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(steps: 4_000_000_000)),
                GrpcStatusCode.InvalidArgument, "parameters.steps must be in [1, 1000]; got 4000000000"),
            // A bad stream option fails the stream at its options, as a bad AdvCAM parameter does, instead of every item.
            ("stream: background threshold NaN", () => Regenerate(new RegenerateOptions { Method = AttributionMethod.Cam, BackgroundThreshold = float.NaN }),
                GrpcStatusCode.InvalidArgument, "options.background_threshold"),
            ("stream: confident background over foreground", () => Regenerate(new RegenerateOptions
            {
                Method = AttributionMethod.Cam,
                Label = LabelKind.Confident,
                ConfidentThresholds = new ConfidentThresholds { Foreground = 0.1f, Background = 0.5f },
            }), GrpcStatusCode.InvalidArgument, "options.confident_thresholds"),
            ("oversize message", () => Client.UnaryAsync(WsssApi.Segment, WireServer.Segment(oversize)), GrpcStatusCode.ResourceExhausted, ""),
            ("expired deadline", () => Client.UnaryAsync(WsssApi.Segment, WireServer.Segment(), new GrpcCallOptions { Deadline = DateTime.UtcNow.AddSeconds(-1) }),
                GrpcStatusCode.DeadlineExceeded, ""),
            ("tiny deadline on long climbing", () => Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(steps: 400),
                new GrpcCallOptions { Deadline = DateTime.UtcNow.AddMilliseconds(300) }), GrpcStatusCode.DeadlineExceeded, ""),
        };

        int goodAfterBad = 0;
        foreach (var (name, call, code, detail) in cases)
        {
            var (got, message) = await WireServer.StatusOf(call);
            output.WriteLine($"{name}: {got} \"{message}\"");
            Assert.True(got == code, $"{name}: expected {code}, got {got} \"{message}\"");
            Assert.Contains(detail, message, StringComparison.OrdinalIgnoreCase);
            var reply = await Client.UnaryAsync(WsssApi.Segment, WireServer.Segment());
            Assert.Equal(160 * 160, reply.Labels.Raw.Length);
            goodAfterBad++;
        }

        await Client_leaving_mid_stream_cancels_its_items();
        var after = await Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute());
        Assert.Equal("2", after.ServedBy.Version);

        var status = await _wire.IdleStatusAsync();
        Assert.Equal((0, 0), (status.Running, status.Queued));
        string metrics = await _wire.MetricsAsync();
        // Calls are counted where they end, in the gRPC layer: the oversize one (refused from its length prefix) counts
        // though no handler ran. (The already-expired call may or may not reach the server: our client cancels it at once.)
        Assert.Equal(14, WireServer.RequestCount(metrics, "InvalidArgument"));
        Assert.Equal(3, WireServer.RequestCount(metrics, "NotFound"));
        Assert.Equal(1, WireServer.RequestCount(metrics, "ResourceExhausted", WsssApi.Segment.FullName));
        Assert.Equal(1, WireServer.RequestCount(metrics, "DeadlineExceeded", WsssApi.Attribute.FullName));
        Assert.True(WireServer.RequestCount(metrics, "OK", WsssApi.Segment.FullName) >= goodAfterBad, metrics);
        Assert.Equal(0, WireServer.RequestCount(metrics, "Internal"));
        Assert.Equal(0, WireServer.RequestCount(metrics, "Unknown"));
        await WireServer.Until(async () => WireServer.RequestCount(await _wire.MetricsAsync(), "Cancelled", WsssApi.RegenerateLabels.FullName) == 1,
            "the abandoned stream is counted as Cancelled");
    }

    /// <summary>A RegenerateLabels stream of <paramref name="options"/> and one item, read to its end; fails the test if the item gets a reply.</summary>
    private async Task Regenerate(RegenerateOptions options)
    {
        using var call = Client.Duplex(WsssApi.RegenerateLabels);
        await call.RequestStream.WriteAsync(new RegenerateLabelsRequest { Options = options });
        var item = new RegenerateItem { Id = "item", Image = ByteString.CopyFrom(WireServer.Sample.Jpeg) };
        item.Classes.Add(WireServer.Sample.Classes[0]);
        await call.RequestStream.WriteAsync(new RegenerateLabelsRequest { Item = item });
        await call.RequestStream.CompleteAsync();
        while (await call.ReadAsync() is { } reply) Assert.Fail($"the stream went on to its item: {reply}");
    }

    /// <summary>A RegenerateLabels client that sends items, reads one result and goes away (the call is disposed).</summary>
    private async Task Client_leaving_mid_stream_cancels_its_items()
    {
        using (var call = Client.Duplex(WsssApi.RegenerateLabels))
        {
            await call.RequestStream.WriteAsync(new RegenerateLabelsRequest
            {
                Options = new RegenerateOptions { Method = AttributionMethod.Advcam, Parameters = new AdvCamParameters { Steps = 30, Scales = { 1.0f } }, MaxInFlight = 2 },
            });
            for (int i = 0; i < 4; i++)
            {
                var item = new RegenerateItem { Id = $"gone-{i}", Image = ByteString.CopyFrom(WireServer.Sample.Jpeg) };
                item.Classes.Add(WireServer.Sample.Classes[0]);
                await call.RequestStream.WriteAsync(new RegenerateLabelsRequest { Item = item });
            }
            await WireServer.Until(() => _wire.Server.Admission.Running > 0, "the stream's items started");
        }
        // Its climbing stops at the next step instead of running 4 x 30 steps for nobody.
        await WireServer.Until(() => _wire.Server.Admission.Running == 0, "the abandoned items stopped", TimeSpan.FromSeconds(3));
    }
}
