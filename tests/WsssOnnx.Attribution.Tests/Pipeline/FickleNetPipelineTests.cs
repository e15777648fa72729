using System.Text.Json.Nodes;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Fickle;
using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Attribution.Tests.Climbing;
using WsssOnnx.Packages;
using Xunit.Abstractions;

namespace WsssOnnx.Attribution.Tests.Pipeline;

/// <summary>FickleNet through the package pipeline: the exported network, its defaults, the limit p -> 0, seeds, and what it refuses.</summary>
public sealed class FickleNetPipelineTests(TinyPackage tiny, ITestOutputHelper output) : IClassFixture<TinyPackage>
{
    private string SingleScale(string version) => tiny.Variant(version, m => m["adv_cam"]!["scales"] = new JsonArray(1.0, 0.5));

    private static double MeanAbsoluteDifference(ClassMaps a, ClassMaps b) =>
        a.Full.Data.Zip(b.Full.Data, (x, y) => (double)Math.Abs(x - y)).Average();

    [Fact]
    public void Export_writes_a_fickle_network_with_the_papers_defaults()
    {
        var package = ModelPackage.Open(tiny.Directory);
        Assert.True(package.Has(PackageRoles.Fickle));
        Assert.Equal(0.9f, package.Manifest.FickleNet!.DropRate);
        Assert.Equal(200, package.Manifest.FickleNet.Samples);
        using var pipeline = PackagePipeline.Open(tiny.Directory);
        Assert.True(pipeline.CanFickle);
        var parameters = pipeline.Parameters(MapMethod.FickleNet, new LabelOverrides { Samples = 7 });
        Assert.Equal(MapMethod.FickleNet, parameters.Method);
        Assert.Equal(1, parameters.Maps.Steps);
        Assert.Equal(new FickleNetOptions { DropRate = 0.9f, Samples = 7 }, parameters.FickleNet);
        // The maps are normalised as CAM's, so the seed threshold is CAM's.
        Assert.Equal(pipeline.Parameters(MapMethod.Cam).BackgroundThreshold, parameters.BackgroundThreshold);
    }

    [Fact]
    public void FickleNet_maps_tend_to_the_deterministic_CAM_as_the_drop_rate_goes_to_zero()
    {
        using var pipeline = PackagePipeline.Open(SingleScale("limit"));
        var image = ClimbingModel.SmoothImage(17, 64, 48);
        int[] classes = [0, 1, 2, 3];
        var cam = pipeline.Maps(image, classes, pipeline.Parameters(MapMethod.Cam));
        var differences = new List<double>();
        foreach (float p in new[] { 0.6f, 0.2f, 0.02f, 0f })
        {
            var maps = pipeline.Maps(image, classes, pipeline.Parameters(MapMethod.FickleNet, new LabelOverrides { DropRate = p, Samples = 6 }));
            differences.Add(MeanAbsoluteDifference(maps, cam));
            output.WriteLine($"p {p}: mean |FickleNet - CAM| {differences[^1]:G4}");
        }
        // At p = 0 every selection is the convolution itself (float sums in another order: 1e-5); the error shrinks with p.
        Assert.True(differences[^1] < 1e-5, $"p = 0 differs from CAM by {differences[^1]}");
        Assert.True(differences[0] > 1e-3, $"p = 0.6 should differ from CAM; it differs by {differences[0]}");
        for (int i = 1; i < differences.Count; i++) Assert.True(differences[i] < differences[i - 1], string.Join(", ", differences));
    }

    [Fact]
    public void The_same_seed_gives_the_same_maps_and_another_seed_others()
    {
        using var pipeline = PackagePipeline.Open(SingleScale("seeds"));
        var image = ClimbingModel.SmoothImage(18, 48, 48);
        var parameters = pipeline.Parameters(MapMethod.FickleNet, new LabelOverrides { DropRate = 0.5f, Samples = 4 });
        var first = pipeline.Maps(image, [1, 3], parameters);
        Assert.Equal(first.Full.Data, pipeline.Maps(image, [1, 3], parameters).Full.Data);
        Assert.Equal(0, parameters.FickleNet!.Seed);
        // The override reaches the options the maps are made with.
        var seeded = pipeline.Parameters(MapMethod.FickleNet, new LabelOverrides { DropRate = 0.5f, Samples = 4, FickleNetSeed = 1 });
        Assert.Equal(parameters.FickleNet with { Seed = 1 }, seeded.FickleNet);
        var other = pipeline.Maps(image, [1, 3], seeded);
        Assert.NotEqual(first.Full.Data, other.Full.Data);
        Assert.All(first.Full.Data, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void A_package_without_a_fickle_network_refuses_FickleNet_with_the_missing_file()
    {
        string package = tiny.Variant("no-fickle", m => m["files"]!.AsObject().Remove(PackageRoles.Fickle));
        using var pipeline = PackagePipeline.Open(package);
        Assert.False(pipeline.CanFickle);
        var error = Assert.Throws<MissingNetworkException>(() => pipeline.Parameters(MapMethod.FickleNet));
        Assert.Equal(PackageRoles.Fickle, error.Role);
        Assert.Contains("fickle.onnx", error.Message);
        Assert.Equal(1, pipeline.Parameters(MapMethod.Cam).Maps.Steps);

        // Opened without loading the fickle network it has: a caller's mistake.
        using var camOnly = PackagePipeline.Open(tiny.Directory, PipelineNetworks.Classifier);
        var parameters = camOnly.Parameters(MapMethod.FickleNet);
        Assert.Throws<InvalidOperationException>(() => camOnly.Maps(ClimbingModel.SmoothImage(1, 32, 32), [0], parameters));
    }

    [Theory]
    [InlineData(1f, null, LabelParameter.DropRate, "FickleNetOptions.DropRate must be in [0, 1); got 1")]
    [InlineData(-0.1f, null, LabelParameter.DropRate, "FickleNetOptions.DropRate must be in [0, 1)")]
    [InlineData(null, 0, LabelParameter.Samples, "FickleNetOptions.Samples must be in [1, 10000]; got 0")]
    [InlineData(null, 10_001, LabelParameter.Samples, "FickleNetOptions.Samples must be in [1, 10000]")]
    public void Out_of_range_FickleNet_parameters_name_the_field(float? dropRate, int? samples, LabelParameter parameter, string message)
    {
        using var pipeline = PackagePipeline.Open(tiny.Directory, PipelineNetworks.Classifier);
        var error = Assert.Throws<LabelParameterException>(() => pipeline.Parameters(MapMethod.FickleNet, new LabelOverrides { DropRate = dropRate, Samples = samples }));
        Assert.Equal(parameter, error.Parameter);
        Assert.True(error.IsMapParameter);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void A_manifest_whose_FickleNet_defaults_are_out_of_range_does_not_open()
    {
        string package = tiny.Variant("bad-fickle", m => m["fickle_net"]!["samples"] = 0);
        var error = Assert.Throws<InvalidDataException>(() => PackagePipeline.Open(package));
        Assert.Contains("FickleNet defaults are out of range", error.Message);
    }
}
