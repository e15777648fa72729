using System.Text.Json.Nodes;
using Google.Protobuf;
using WsssOnnx.Grpc;
using WsssOnnx.Imaging;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Packages;
using Xunit.Abstractions;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>
/// LABEL_KIND_RANDOM_WALK over a real socket: Attribute and RegenerateLabels return the same random-walk labels from a
/// package with a boundary network; a version without one is refused with FAILED_PRECONDITION, also after a hot swap.
/// </summary>
[Collection(WireCollection.Name)]
public sealed class RandomWalkWireTests(ITestOutputHelper output)
{
    /// <summary>The bundled package as "1" with its boundary network struck from the manifest (the file stays, unlisted).</summary>
    private static void WithoutBoundary(JsonNode manifest)
    {
        manifest["files"]!.AsObject().Remove(PackageRoles.Boundary);
        manifest.AsObject().Remove("random_walk");
    }

    private static AttributeRequest RandomWalk(string version) =>
        WireServer.Attribute(method: AttributionMethod.Cam, change: r =>
        {
            r.Labels.Add(LabelKind.RandomWalk);
            r.Parameters.Scales.Add(0.5f);
            r.Model = new ModelSelector { Version = version };
        });

    [Fact]
    public async Task Random_walk_labels_are_served_by_a_package_with_a_boundary_network_and_refused_without_one()
    {
        Assert.True(File.Exists(Path.Combine(TestModels.BundledPackage, "boundary.onnx")), "the bundled package has a boundary network");
        await using var wire = await WireServer.StartAsync(versions: "2");
        wire.Models.AddVersion("default", "1", changeManifest: WithoutBoundary);
        await wire.Client.UnaryAsync(WsssApi.LoadModel, new ModelVersionRequest { Version = "1" });
        var sample = WireServer.Sample;
        uint label = (uint)TestModels.Classes.ToList().IndexOf(sample.Classes[0]);

        var reply = await wire.Client.UnaryAsync(WsssApi.Attribute, RandomWalk("2"));
        var walked = reply.RandomWalk;
        Assert.NotNull(walked);
        Assert.Equal((160u, 160u, 160 * 160), (walked.Width, walked.Height, walked.Raw.Length));
        var raw = walked.Raw.ToByteArray();
        Assert.True(raw.All(b => b == 0 || b == label), "only background and the named class");
        int foreground = raw.Count(b => b == label);
        output.WriteLine($"random walk: {foreground} of {raw.Length} pixels {sample.Classes[0]}; seeds {reply.Seeds.Raw.Count(b => b == label)}");
        Assert.InRange(foreground, 1, raw.Length - 1);
        Assert.NotEqual(reply.Seeds.Raw.ToByteArray(), raw); // the walk moved the seeds' boundary
        Assert.True(reply.Timings.RefineMs > 0);

        // The same labels from a RegenerateLabels stream (PNG), for the same image and options.
        using (var call = wire.Client.Duplex(WsssApi.RegenerateLabels))
        {
            var options = new RegenerateOptions { Method = AttributionMethod.Cam, Label = LabelKind.RandomWalk, Parameters = new AdvCamParameters { Scales = { 1.0f, 0.5f } } };
            await call.RequestStream.WriteAsync(new RegenerateLabelsRequest { Options = options });
            var item = new RegenerateItem { Id = sample.Id, Image = ByteString.CopyFrom(sample.Jpeg) };
            item.Classes.Add(sample.Classes[0]);
            await call.RequestStream.WriteAsync(new RegenerateLabelsRequest { Item = item });
            await call.RequestStream.CompleteAsync();
            var result = await call.ReadAsync();
            Assert.NotNull(result);
            Assert.Equal(RegenerateLabelsResponse.ResultOneofCase.Labels, result.ResultCase);
            Assert.Equal(raw, new ImageDecoder().DecodeLabels(result.Labels.Png.Span).Pixels);
            Assert.Null(await call.ReadAsync());
        }

        // Version 1 has no boundary network: the unary call and the stream's options are refused, naming it.
        var (code, detail) = await WireServer.StatusOf(() => wire.Client.UnaryAsync(WsssApi.Attribute, RandomWalk("1")));
        Assert.Equal(GrpcStatusCode.FailedPrecondition, code);
        Assert.Contains("boundary network", detail);
        (code, detail) = await WireServer.StatusOf(async () =>
        {
            using var call = wire.Client.Duplex(WsssApi.RegenerateLabels);
            var options = new RegenerateOptions { Method = AttributionMethod.Cam, Label = LabelKind.RandomWalk, Model = new ModelSelector { Version = "1" } };
            await call.RequestStream.WriteAsync(new RegenerateLabelsRequest { Options = options });
            await call.RequestStream.CompleteAsync();
            while (await call.ReadAsync() is not null) { }
        });
        Assert.Equal(GrpcStatusCode.FailedPrecondition, code);
        Assert.Contains("boundary network", detail);
        // Other kinds still work on version 1.
        var seeds = await wire.Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(method: AttributionMethod.Cam, change: r => r.Model = new ModelSelector { Version = "1" }));
        Assert.Equal(160 * 160, seeds.Seeds.Raw.Length);

        // The boundary network is swapped with the rest: the active version decides.
        await wire.Client.UnaryAsync(WsssApi.ActivateModel, new ModelVersionRequest { Version = "1" });
        (code, _) = await WireServer.StatusOf(() => wire.Client.UnaryAsync(WsssApi.Attribute, RandomWalk("")));
        Assert.Equal(GrpcStatusCode.FailedPrecondition, code);
        await wire.Client.UnaryAsync(WsssApi.ActivateModel, new ModelVersionRequest { Version = "2" });
        var again = await wire.Client.UnaryAsync(WsssApi.Attribute, RandomWalk(""));
        Assert.Equal(raw, again.RandomWalk.Raw.ToByteArray());
    }

    [Fact]
    public async Task A_boundary_role_that_is_not_a_boundary_network_never_loads()
    {
        await using var wire = await WireServer.StartAsync(versions: "2");
        // files.boundary names the classifier (hash and all): it has no output 'boundary'.
        wire.Models.AddVersion("default", "3", changeManifest: m => m["files"]![PackageRoles.Boundary] = m["files"]![PackageRoles.Classifier]!.DeepClone());
        var (code, detail) = await WireServer.StatusOf(() => wire.Client.UnaryAsync(WsssApi.LoadModel, new ModelVersionRequest { Version = "3" }));
        output.WriteLine(detail);
        Assert.Equal(GrpcStatusCode.FailedPrecondition, code);
        Assert.Contains("no output 'boundary'", detail);
        Assert.Equal("2", (await wire.Client.UnaryAsync(WsssApi.Segment, WireServer.Segment())).ServedBy.Version);
    }
}
