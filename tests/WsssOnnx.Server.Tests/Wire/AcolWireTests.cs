using System.Text.Json.Nodes;
using WsssOnnx.Grpc;
using WsssOnnx.Packages;
using WsssOnnx.Protos.Wsss.V1;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>
/// ATTRIBUTION_METHOD_ACOL over a real socket: served by a package whose manifest says its classifier was trained with ACoL
/// (the same maps as CAM of that package), refused with FAILED_PRECONDITION by a plain one, in Attribute and RegenerateLabels.
/// </summary>
[Collection(WireCollection.Name)]
public sealed class AcolWireTests
{
    /// <summary>The bundled package as "3", its manifest saying acol (the classifier's class maps are whatever it computes).</summary>
    private static void SaysAcol(JsonNode manifest) =>
        manifest["localiser"] = new JsonObject { ["kind"] = ClassifierLocaliser.Acol, ["acol_threshold"] = 0.6 };

    [Fact]
    public async Task Acol_is_cam_of_an_acol_package_and_refused_by_a_plain_one()
    {
        await using var wire = await WireServer.StartAsync(versions: "2");
        wire.Models.AddVersion("default", "3", changeManifest: SaysAcol);
        await wire.Client.UnaryAsync(WsssApi.LoadModel, new ModelVersionRequest { Version = "3" });
        AttributeRequest On(string version, AttributionMethod method) =>
            WireServer.Attribute(method: method, change: r => r.Model = new ModelSelector { Version = version });

        var acol = await wire.Client.UnaryAsync(WsssApi.Attribute, On("3", AttributionMethod.Acol));
        var cam = await wire.Client.UnaryAsync(WsssApi.Attribute, On("3", AttributionMethod.Cam));
        Assert.Equal(1u, acol.Parameters.Steps);
        Assert.Equal(cam.Seeds.Raw, acol.Seeds.Raw);
        Assert.Equal(160 * 160, acol.Seeds.Raw.Length);

        var (code, detail) = await WireServer.StatusOf(() => wire.Client.UnaryAsync(WsssApi.Attribute, On("2", AttributionMethod.Acol)));
        Assert.Equal(GrpcStatusCode.FailedPrecondition, code);
        Assert.Contains("trained as cam", detail);
        (code, detail) = await WireServer.StatusOf(async () =>
        {
            using var call = wire.Client.Duplex(WsssApi.RegenerateLabels);
            var options = new RegenerateOptions { Method = AttributionMethod.Acol, Model = new ModelSelector { Version = "2" } };
            await call.RequestStream.WriteAsync(new RegenerateLabelsRequest { Options = options });
            await call.RequestStream.CompleteAsync();
            while (await call.ReadAsync() is not null) { }
        });
        Assert.Equal(GrpcStatusCode.FailedPrecondition, code);
        Assert.Contains("ATTRIBUTION_METHOD_ACOL", detail);
    }
}
