using System.Text.Json.Nodes;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using WsssOnnx.Training.Export;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Cli.Tests;

/// <summary>
/// `--method ficklenet` of attribute and relabel on a package exported here (a randomly initialised ResNet-18 of width 4 with
/// the bundled package's classes, so it has a fickle network), and its refusals: the bundled package has none, bad values.
/// </summary>
public sealed class FickleNetCommandTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>, IDisposable
{
    private readonly TempFolder _models = new("wsss-fickle-models-");

    private string ExportTinyPackage()
    {
        var classes = JsonNode.Parse(File.ReadAllText(Path.Combine(SyntheticDataset.Package, "manifest.json")))!["classes"]!.AsArray()
            .Select(n => n!.GetValue<string>()).Skip(1).ToList();
        var network = new CamClassifierOptions
        {
            Classes = classes.Count,
            Seed = 3,
            Backbone = new ResNetOptions { Depth = 18, Width = 4, Seed = 3, BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Folded } },
        };
        var g = new GraphBuilder("weights");
        CamClassifier.Build(g, g.Input("image", DataType.Float, [-1, 3, -1, -1]), network);
        var weights = g.Parameters.ToDictionary(p => p.Name, p => g.ParameterValue(p.Name));
        return PackageExporter.Export(_models.Path, "tiny", "1", classes, new TrainedClassifier(network, weights, 64), segmenter: null,
            new Provenance { Dataset = "random weights" });
    }

    private string Image(out string id)
    {
        id = data.Ids("val")[0];
        return Path.Combine(data.Root, "JPEGImages", id + ".jpg");
    }

    [Fact]
    public void Attribute_with_ficklenet_writes_the_maps_and_names_its_parameters()
    {
        string package = ExportTinyPackage();
        Assert.True(File.Exists(Path.Combine(package, "fickle.onnx")));
        using var output = new TempFolder("wsss-cli-");
        string image = Image(out string id);
        string cls = data.Classes(id)[0];
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", package, "--image", image, "--classes", cls,
            "--method", "ficklenet", "--samples", "3", "--crf", "--out", output.Path);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        Assert.Contains("FickleNet, drop rate 0.9, 3 selections", stdout);
        foreach (string file in new[] { $"{id}_{cls}_heatmap.png", $"{id}_{cls}_map.png", $"{id}_seeds.png", $"{id}_crf.png" })
            Assert.True(File.Exists(Path.Combine(output.Path, file)), file);
    }

    [Fact]
    public void Relabel_with_ficklenet_labels_the_split()
    {
        string package = ExportTinyPackage();
        using var output = new TempFolder("wsss-cli-");
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", package, "--data", data.Root, "--split", "val",
            "--method", "ficklenet", "--samples", "2", "--drop-rate", "0.5", "--mode", "seeds", "--out", output.Path);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        Assert.Equal(data.Ids("val").Select(i => i + ".png").Order(), Directory.GetFiles(output.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_package_without_a_fickle_network_is_refused_with_one_sentence()
    {
        Assert.False(File.Exists(Path.Combine(SyntheticDataset.Package, "fickle.onnx")));
        using var output = new TempFolder("wsss-cli-");
        string image = Image(out string id);
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", SyntheticDataset.Package, "--image", image,
            "--classes", data.Classes(id)[0], "--method", "ficklenet", "--out", output.Path);
        Assert.True(code == 1, $"exit {code}: {stdout}{stderr}");
        Assert.Contains("FickleNet needs the package's fickle network (fickle.onnx)", stderr);
        Assert.Empty(Directory.GetFiles(output.Path));
    }

    [Theory]
    [InlineData("--drop-rate", "1", "invalid --drop-rate: FickleNetOptions.DropRate must be in [0, 1); got 1.")]
    [InlineData("--samples", "0", "invalid --samples: FickleNetOptions.Samples must be in [1, 10000]; got 0.")]
    public void Out_of_range_FickleNet_options_are_usage_errors(string option, string value, string message)
    {
        string package = ExportTinyPackage();
        using var output = new TempFolder("wsss-cli-");
        string image = Image(out string id);
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", package, "--image", image,
            "--classes", data.Classes(id)[0], "--method", "ficklenet", option, value, "--out", output.Path);
        Assert.True(code == 2, $"exit {code}: {stdout}{stderr}");
        Assert.Contains(message, stderr);
    }

    public void Dispose() => _models.Dispose();
}
