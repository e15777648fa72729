using System.Text.Json.Nodes;

namespace WsssOnnx.Cli.Tests;

/// <summary>`wsss-train make-seeds` takes the package's normalisation, scales, AdvCAM defaults and per-method thresholds, as `wsss relabel` does.</summary>
public sealed class MakeSeedsCommandTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    private const double CamThreshold = 0.35, AdvCamThreshold = 0.1;

    [Fact]
    public void Make_seeds_uses_the_packages_settings_and_writes_what_relabel_writes()
    {
        using var rootFolder = new TempFolder("wsss-cli-");
        string root = rootFolder.Path;
        // Not the defaults anywhere: another normalisation, two scales, three climbing steps, a threshold per method.
        string package = TunedCopy(Path.Combine(root, "package"), normalization: new JsonObject { ["mean"] = new JsonArray(0.5, 0.5, 0.5), ["std"] = new JsonArray(0.25, 0.25, 0.25) });
        string imageNet = TunedCopy(Path.Combine(root, "imagenet"), normalization: null);

        var cam = MakeSeeds(package, Path.Combine(root, "cam"));
        Assert.Contains($"background threshold {CamThreshold} (the package's)", cam.Stdout);
        Assert.Equal(cam.Labels, Relabel(package, "cam", Path.Combine(root, "relabel-cam")));
        Assert.Equal(cam.Labels, MakeSeeds(package, Path.Combine(root, "cam-at"), "--threshold", $"{CamThreshold}").Labels);
        Assert.NotEqual(cam.Labels, MakeSeeds(package, Path.Combine(root, "cam-015"), "--threshold", "0.15").Labels);
        Assert.NotEqual(cam.Labels, MakeSeeds(imageNet, Path.Combine(root, "cam-imagenet")).Labels);

        var advCam = MakeSeeds(package, Path.Combine(root, "advcam"), "--method", "advcam");
        Assert.Contains($"AdvCAM (3 steps", advCam.Stdout);
        Assert.Contains($"background threshold {AdvCamThreshold} (the package's)", advCam.Stdout);
        Assert.Equal(advCam.Labels, Relabel(package, "advcam", Path.Combine(root, "relabel-advcam")));
        Assert.NotEqual(cam.Labels, advCam.Labels);
    }

    [Fact]
    public void A_package_from_before_per_method_thresholds_serves_its_one_threshold_to_both()
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "info", "--package", Path.Combine(CliProcess.RepoRoot, "models", "default", "1"));
        Assert.True(code == 0, stderr);
        Assert.Contains("seed background thresholds: CAM 0.15, AdvCAM 0.15", stdout);
    }

    /// <summary>A copy of the bundled package with quick AdvCAM defaults, a threshold per method and, unless null, another normalisation.</summary>
    private static string TunedCopy(string target, JsonObject? normalization)
    {
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(SyntheticDataset.Package)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        string path = Path.Combine(target, "manifest.json");
        var manifest = JsonNode.Parse(File.ReadAllText(path))!;
        if (normalization is not null) manifest["normalization"] = normalization;
        var advCam = manifest["adv_cam"]!;
        advCam["steps"] = 3;
        advCam["scales"] = new JsonArray(1.0, 0.5);
        advCam["background_threshold"] = AdvCamThreshold;
        advCam["cam_background_threshold"] = CamThreshold;
        File.WriteAllText(path, manifest.ToJsonString());
        return target;
    }

    private (string Stdout, Dictionary<string, byte[]> Labels) MakeSeeds(string package, string output, params string[] options)
    {
        var (code, stdout, stderr) = CliProcess.RunTrainer(["make-seeds", "--package", package, "--data", data.Root, "--split", "val", "--out", output, .. options]);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        return (stdout, Labels(output));
    }

    private Dictionary<string, byte[]> Relabel(string package, string method, string output)
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", package, "--data", data.Root, "--split", "val",
            "--method", method, "--mode", "seeds", "--out", output);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        return Labels(output);
    }

    private Dictionary<string, byte[]> Labels(string folder) =>
        data.Ids("val").ToDictionary(id => id, id => File.ReadAllBytes(Path.Combine(folder, id + ".png")));
}
