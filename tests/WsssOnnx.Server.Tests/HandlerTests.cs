using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using WsssOnnx.Grpc;
using WsssOnnx.Imaging;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Runtime;
using WsssOnnx.Server.Handlers;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Server.Tests;

/// <summary>The handlers called directly (no transport): replies, defaults, and the status of each bad input.</summary>
public sealed class HandlerTests : IAsyncLifetime
{
    private readonly TestModels _models = new("1");
    private ModelRegistry _registry = null!;
    private AttributionHandler _attribution = null!;
    private SegmentationHandler _segmentation = null!;

    public async Task InitializeAsync()
    {
        _registry = new ModelRegistry(_models.Root, new SessionConfig { IntraOpThreads = 1 }, NullLogger.Instance);
        await _registry.ActivateAsync("default");
        var admission = new AdmissionController(2, 8);
        var images = new RequestImage(512);
        _attribution = new AttributionHandler(_registry, admission, images);
        _segmentation = new SegmentationHandler(_registry, admission, images);
    }

    private static string FirstClass => TestModels.Samples[0].Classes[0];

    private static AttributeRequest Request(Action<AttributeRequest>? change = null)
    {
        var request = new AttributeRequest
        {
            Image = ByteString.CopyFrom(TestModels.Samples[0].Jpeg),
            Method = AttributionMethod.Advcam,
            Parameters = new AdvCamParameters { Steps = 3, Scales = { 1.0f } },
            WantMaps = true,
            LabelEncoding = LabelEncoding.PngAndRaw,
        };
        request.Classes.Add(FirstClass.ToUpperInvariant());
        change?.Invoke(request);
        return request;
    }

    [Fact]
    public async Task Attribute_returns_maps_seeds_and_crf_at_the_image_size_with_the_parameters_used()
    {
        var reply = await _attribution.AttributeAsync(Request(), CancellationToken.None);
        var map = Assert.Single(reply.Maps);
        uint label = (uint)TestModels.Classes.ToList().IndexOf(FirstClass);
        Assert.Equal((FirstClass, label, 160u, 160u), (map.Name, map.Label, map.Width, map.Height));
        var grey = new ImageDecoder().DecodeLabels(map.Png.Span);
        Assert.Equal(255, grey.Pixels.Max()); // per-class max normalisation
        foreach (var labels in new[] { reply.Seeds, reply.Crf })
        {
            Assert.Equal(160 * 160, labels.Raw.Length);
            Assert.True(labels.Raw.All(b => b == 0 || b == label), "only background and the named class");
            Assert.Contains(labels.Raw, b => b == label);
            Assert.Equal(labels.Raw.ToByteArray(), new ImageDecoder().DecodeLabels(labels.Png.Span).Pixels);
            Assert.Equal(160 * 160, labels.Classes.Sum(c => (int)c.Pixels));
        }
        Assert.Null(reply.Confident);
        Assert.Equal(3u, reply.Parameters.Steps);
        Assert.Equal(7f, reply.Parameters.MaskWeight); // package default kept
        Assert.Equal(("default", "1"), (reply.ServedBy.Name, reply.ServedBy.Version));
        Assert.True(reply.Timings.InferenceMs > 0 && reply.Timings.TotalMs >= reply.Timings.InferenceMs);
    }

    [Fact]
    public async Task Confident_labels_mark_unsure_pixels_255_and_agree_with_the_seeds_elsewhere()
    {
        var reply = await _attribution.AttributeAsync(Request(r =>
        {
            r.Labels.Add(LabelKind.Confident);
            r.ConfidentThresholds = new ConfidentThresholds { Foreground = 0.5f, Background = 0.05f };
        }), CancellationToken.None);
        Assert.Null(reply.Seeds);
        var confident = reply.Confident.Raw.ToByteArray();
        uint label = (uint)TestModels.Classes.ToList().IndexOf(FirstClass);
        Assert.Contains(confident, b => b == 255);
        Assert.Contains(confident, b => b == label);
        Assert.True(confident.All(b => b == 0 || b == label || b == 255));
    }

    [Fact]
    public async Task Cam_ignores_steps_and_float_maps_decode_to_the_png_values()
    {
        var reply = await _attribution.AttributeAsync(Request(r => { r.Method = AttributionMethod.Cam; r.MapEncoding = MapEncoding.Float32; }), CancellationToken.None);
        Assert.Equal(1u, reply.Parameters.Steps);
        var values = reply.Maps[0].Float32.ToByteArray();
        Assert.Equal(160 * 160 * 4, values.Length);
        float max = Enumerable.Range(0, 160 * 160).Max(i => BitConverter.ToSingle(values, 4 * i));
        Assert.InRange(max, 0.99f, 1.0f);
    }

    [Fact]
    public async Task An_unset_background_threshold_is_the_packages_for_the_method()
    {
        _models.AddVersion("tuned", "1", changeManifest: m =>
        {
            m["adv_cam"]!["background_threshold"] = 0.4;
            m["adv_cam"]!["cam_background_threshold"] = 0.25;
        });
        await _registry.ActivateAsync("tuned");
        var tuned = new ModelSelector { Name = "tuned" };
        var cam = await _attribution.AttributeAsync(Request(r => { r.Method = AttributionMethod.Cam; r.Model = tuned; }), CancellationToken.None);
        var advCam = await _attribution.AttributeAsync(Request(r => r.Model = tuned), CancellationToken.None);
        var set = await _attribution.AttributeAsync(Request(r => { r.Method = AttributionMethod.Cam; r.Model = tuned; r.BackgroundThreshold = 0.3f; }), CancellationToken.None);
        Assert.Equal((0.25f, 0.4f, 0.3f), (cam.BackgroundThreshold, advCam.BackgroundThreshold, set.BackgroundThreshold));
        // A bundled manifest predates per-method thresholds: its one threshold serves both.
        var bundled = await _attribution.AttributeAsync(Request(r => r.Method = AttributionMethod.Cam), CancellationToken.None);
        Assert.Equal(0.15f, bundled.BackgroundThreshold);
    }

    public static TheoryData<string, GrpcStatusCode, string> BadRequests => new()
    {
        { "empty image", GrpcStatusCode.InvalidArgument, "image is empty" },
        { "corrupt image", GrpcStatusCode.InvalidArgument, "image cannot be decoded" },
        { "huge image", GrpcStatusCode.InvalidArgument, "too large" },
        { "unknown class", GrpcStatusCode.InvalidArgument, "unknown class \"zebra\"" },
        { "no class", GrpcStatusCode.InvalidArgument, "classes is empty" },
        { "zero steps", GrpcStatusCode.InvalidArgument, "parameters.steps" },
        { "negative step size", GrpcStatusCode.InvalidArgument, "parameters.step_size" },
        { "bad scale", GrpcStatusCode.InvalidArgument, "parameters.scales" },
        { "bad threshold", GrpcStatusCode.InvalidArgument, "background_threshold" },
        { "confident thresholds reversed", GrpcStatusCode.InvalidArgument, "confident_thresholds" },
        { "unknown model", GrpcStatusCode.NotFound, "no model package \"nope\"" },
        { "unloaded version", GrpcStatusCode.NotFound, "not loaded" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_their_status_and_a_message_naming_the_problem(string what, GrpcStatusCode code, string message)
    {
        var request = Request(r =>
        {
            switch (what)
            {
                case "empty image": r.Image = ByteString.Empty; break;
                case "corrupt image": r.Image = ByteString.CopyFrom(TestModels.ImagePng()[..60]); break;
                case "huge image": r.Image = ByteString.CopyFrom(PngEncoder.EncodeGray(new GrayImage(600, 20))); break;
                case "unknown class": r.Classes.Add("zebra"); break;
                case "no class": r.Classes.Clear(); break;
                case "zero steps": r.Parameters.Steps = 0; break;
                case "negative step size": r.Parameters.StepSize = -1; break;
                case "bad scale": r.Parameters.Scales.Add(9f); break;
                case "bad threshold": r.BackgroundThreshold = 1.5f; break;
                case "confident thresholds reversed":
                    r.Labels.Add(LabelKind.Confident);
                    r.ConfidentThresholds = new ConfidentThresholds { Foreground = 0.1f, Background = 0.3f };
                    break;
                case "unknown model": r.Model = new ModelSelector { Name = "nope" }; break;
                case "unloaded version": r.Model = new ModelSelector { Version = "7" }; break;
            }
        });
        var error = await Assert.ThrowsAsync<RpcException>(() => ServiceErrors.Translate(() => _attribution.AttributeAsync(request, CancellationToken.None)));
        Assert.Equal(code, error.StatusCode);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Segment_labels_the_image_with_the_packages_classes()
    {
        var reply = await _segmentation.SegmentAsync(new SegmentRequest { Image = ByteString.CopyFrom(TestModels.ImagePng(64, 48)), Encoding = LabelEncoding.Raw }, CancellationToken.None);
        Assert.Equal((64u, 48u), (reply.Labels.Width, reply.Labels.Height));
        Assert.True(reply.Labels.Png.IsEmpty);
        Assert.All(reply.Labels.Raw.ToByteArray(), b => Assert.InRange(b, (byte)0, (byte)(TestModels.Classes.Count - 1)));
        Assert.All(reply.Labels.Classes, c => Assert.Equal(TestModels.Classes[(int)c.Label], c.Name));
    }

    [Fact]
    public async Task A_cancelled_request_stops_with_OperationCanceledException()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(30));
        var request = Request(r => r.Parameters = new AdvCamParameters { Steps = 200 });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _attribution.AttributeAsync(request, cancel.Token));
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _models.Dispose();
    }

    [Fact]
    public async Task A_regeneration_item_failing_unexpectedly_still_gets_a_reply_with_internal()
    {
        // Regression: faulted item tasks were dropped with the completed ones, so the item vanished without a reply.
        const int Items = 300; // over the handler's pruning threshold (4 x 64 tasks)
        var handler = new LabelRegenerationHandler(
            (item, options, token) => item.Id == "0007" ? throw new InvalidOperationException("a bug") : Task.FromResult(new RegenerateLabelsResponse { Id = item.Id }),
            _registry, new ServiceOptions { DefaultStreamInFlight = 4 });
        static async IAsyncEnumerable<RegenerateLabelsRequest> Requests()
        {
            for (int i = 0; i < Items; i++)
            {
                await Task.Yield();
                yield return new RegenerateLabelsRequest { Item = new RegenerateItem { Id = i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture) } };
            }
        }
        var replies = new System.Collections.Concurrent.ConcurrentDictionary<string, RegenerateLabelsResponse>();
        await handler.RegenerateAsync(Requests(), reply => { replies[reply.Id] = reply; return Task.CompletedTask; }, CancellationToken.None);
        Assert.Equal(Items, replies.Count);
        var failed = replies["0007"];
        Assert.Equal((int)GrpcStatusCode.Internal, failed.Error.Code);
        Assert.DoesNotContain("a bug", failed.Error.Message); // the exception is for the log, not the client
        Assert.All(replies.Values.Where(r => r.Id != "0007"), r => Assert.Null(r.Error));
    }
}
