using Google.Protobuf;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Grpc;
using WsssOnnx.Packages;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Training.Export;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>
/// ATTRIBUTION_METHOD_FICKLENET over a real socket: a version exported here (random ResNet-18, width 4, the bundled classes) has a
/// fickle network and serves it through Attribute (whose reply echoes the FickleNet parameters used) and RegenerateLabels; the
/// bundled version has none (FAILED_PRECONDITION), and out-of-range parameters name their field (INVALID_ARGUMENT).
/// </summary>
[Collection(WireCollection.Name)]
public sealed class FickleNetWireTests
{
    private static void ExportTinyVersion(string modelsRoot, string version)
    {
        var network = new CamClassifierOptions
        {
            Classes = TestModels.Classes.Count - 1,
            Seed = 4,
            Backbone = new ResNetOptions { Depth = 18, Width = 4, Seed = 4, BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Folded } },
        };
        var g = new GraphBuilder("weights");
        CamClassifier.Build(g, g.Input("image", DataType.Float, [-1, 3, -1, -1]), network);
        var weights = g.Parameters.ToDictionary(p => p.Name, p => g.ParameterValue(p.Name));
        PackageExporter.Export(modelsRoot, "default", version, [.. TestModels.Classes.Skip(1)], new TrainedClassifier(network, weights, 64), segmenter: null,
            new Provenance { Dataset = "random weights" });
    }

    private static AttributeRequest Fickle(string version, FickleNetParameters? parameters = null) =>
        WireServer.Attribute(method: AttributionMethod.Ficklenet, change: r =>
        {
            r.Model = new ModelSelector { Version = version };
            r.FickleNet = parameters ?? new FickleNetParameters { Samples = 3 };
            r.WantMaps = true;
            r.MapEncoding = MapEncoding.Float32;
        });

    [Fact]
    public async Task FickleNet_is_served_by_a_package_with_a_fickle_network_and_refused_without_one()
    {
        await using var wire = await WireServer.StartAsync(versions: "2");
        ExportTinyVersion(wire.Models.Root, "9");
        await wire.Client.UnaryAsync(WsssApi.LoadModel, new ModelVersionRequest { Version = "9" });

        var reply = await wire.Client.UnaryAsync(WsssApi.Attribute, Fickle("9"));
        Assert.Equal("9", reply.ServedBy.Version);
        var map = Assert.Single(reply.Maps);
        Assert.Equal(WireServer.Sample.Classes[0], map.Name);
        Assert.Equal(160 * 160 * 4, map.Float32.Length);
        Assert.Equal((160u, 160u), (reply.Seeds.Width, reply.Seeds.Height));

        // Another drop rate gives other maps; the same request the same ones (the masks are seeded).
        var again = await wire.Client.UnaryAsync(WsssApi.Attribute, Fickle("9"));
        Assert.Equal(map.Float32, again.Maps[0].Float32);
        var other = await wire.Client.UnaryAsync(WsssApi.Attribute, Fickle("9", new FickleNetParameters { Samples = 3, DropRate = 0.3f }));
        Assert.NotEqual(map.Float32, other.Maps[0].Float32);

        // The reply echoes the drop rate, selections and seed used: the package's defaults where the request left them unset.
        var defaults = ModelPackage.Open(Path.Combine(wire.Models.Root, "default", "9")).Manifest.FickleNet!;
        Assert.Equal((defaults.DropRate, 3u, 0), (reply.FickleNet.DropRate, reply.FickleNet.Samples, reply.FickleNet.Seed));
        Assert.Equal((0.3f, 3u, 0), (other.FickleNet.DropRate, other.FickleNet.Samples, other.FickleNet.Seed));
        Assert.Equal(1u, reply.Parameters.Steps);
        var seeded = await wire.Client.UnaryAsync(WsssApi.Attribute, Fickle("9", new FickleNetParameters { Samples = 3, Seed = 7 }));
        Assert.Equal((defaults.DropRate, 3u, 7), (seeded.FickleNet.DropRate, seeded.FickleNet.Samples, seeded.FickleNet.Seed));
        Assert.NotEqual(map.Float32, seeded.Maps[0].Float32);
        // Other methods have no FickleNet parameters to echo.
        var cam = await wire.Client.UnaryAsync(WsssApi.Attribute, WireServer.Attribute(method: AttributionMethod.Cam, change: r => r.Model = new ModelSelector { Version = "9" }));
        Assert.Null(cam.FickleNet);

        // A RegenerateLabels stream with the method and its parameters.
        using (var call = wire.Client.Duplex(WsssApi.RegenerateLabels))
        {
            var options = new RegenerateOptions
            {
                Method = AttributionMethod.Ficklenet,
                Label = LabelKind.Seeds,
                Model = new ModelSelector { Version = "9" },
                Parameters = new AdvCamParameters { Scales = { 1.0f } },
                FickleNet = new FickleNetParameters { Samples = 2 },
            };
            await call.RequestStream.WriteAsync(new RegenerateLabelsRequest { Options = options });
            var item = new RegenerateItem { Id = "x", Image = ByteString.CopyFrom(WireServer.Sample.Jpeg) };
            item.Classes.Add(WireServer.Sample.Classes[0]);
            await call.RequestStream.WriteAsync(new RegenerateLabelsRequest { Item = item });
            await call.RequestStream.CompleteAsync();
            var result = await call.ReadAsync();
            Assert.NotNull(result);
            Assert.Equal(RegenerateLabelsResponse.ResultOneofCase.Labels, result.ResultCase);
            Assert.Null(await call.ReadAsync());
        }

        // The bundled version has no fickle network.
        var (code, detail) = await WireServer.StatusOf(() => wire.Client.UnaryAsync(WsssApi.Attribute, Fickle("2")));
        Assert.Equal(GrpcStatusCode.FailedPrecondition, code);
        Assert.Contains("has no fickle network (fickle.onnx)", detail);

        // Out-of-range parameters name the field.
        (code, detail) = await WireServer.StatusOf(() => wire.Client.UnaryAsync(WsssApi.Attribute, Fickle("9", new FickleNetParameters { DropRate = 1f })));
        Assert.Equal(GrpcStatusCode.InvalidArgument, code);
        Assert.Contains("fickle_net.drop_rate", detail);
        (code, detail) = await WireServer.StatusOf(() => wire.Client.UnaryAsync(WsssApi.Attribute, Fickle("9", new FickleNetParameters { Samples = 0 })));
        Assert.Equal(GrpcStatusCode.InvalidArgument, code);
        Assert.Contains("fickle_net.samples", detail);
    }
}
