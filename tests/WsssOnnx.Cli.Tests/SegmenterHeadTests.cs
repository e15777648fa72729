using System.Text.Json;

namespace WsssOnnx.Cli.Tests;

/// <summary>train-segmenter --head deeplab-v3: trains, is recorded in run.json and the manifest, exports and segments; bad values are refused in a sentence.</summary>
public sealed class SegmenterHeadTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    private static void Ok((int ExitCode, string Stdout, string Stderr) run, string step) =>
        Assert.True(run.ExitCode == 0, $"{step} failed ({run.ExitCode}): {run.Stdout}{run.Stderr}");

    [Fact]
    public void Deeplab_v3_segmenter_trains_exports_and_segments()
    {
        using var workFolder = new TempFolder("wsss-v3-");
        string work = workFolder.Path;
        string cls = Path.Combine(work, "cls"), seg = Path.Combine(work, "seg"), models = Path.Combine(work, "models"), labels = Path.Combine(work, "labels");
        Ok(CliProcess.RunTrainer("train-classifier", "--data", data.Root, "--run", cls, "--epochs", "1", "--batch", "2", "--crop", "64", "--width", "8",
            "--val-split", "none"), "train-classifier");
        Directory.CreateDirectory(labels);
        foreach (string id in data.Ids("train"))
            File.Copy(Path.Combine(data.Root, "SegmentationClass", id + ".png"), Path.Combine(labels, id + ".png"));

        var train = CliProcess.RunTrainer("train-segmenter", "--data", data.Root, "--labels", labels, "--run", seg, "--head", "deeplab-v3",
            "--epochs", "1", "--batch", "2", "--crop", "64", "--width", "8");
        Ok(train, "train-segmenter");
        Assert.Contains("deeplab-v3 segmenter", train.Stdout);
        var segmenter = JsonDocument.Parse(File.ReadAllText(Path.Combine(seg, "run.json"))).RootElement.GetProperty("segmenter");
        Assert.Equal("DeepLabV3", segmenter.GetProperty("head").GetString());
        Assert.Equal([6, 12, 18], segmenter.GetProperty("atrous_rates").EnumerateArray().Select(e => e.GetInt32()));
        // Validation on val ran through the frozen-statistics graph of the same head.
        Assert.Contains("val_miou", File.ReadAllText(Path.Combine(seg, "metrics.csv")));

        Ok(CliProcess.RunTrainer("export", "--classifier-run", cls, "--segmenter-run", seg, "--models", models, "--version", "1", "--data", data.Root,
            "--threshold-images", "0"), "export");
        string v1 = Path.Combine(models, "default", "1");
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(v1, "manifest.json"))).RootElement;
        Assert.Equal("deeplab-v3", manifest.GetProperty("provenance").GetProperty("settings").GetProperty("segmenter_head").GetString());
        Assert.True(manifest.GetProperty("metrics").TryGetProperty("segmenter_miou", out _), "export measures the v3 segmenter");

        string output = Path.Combine(work, "segmented");
        Ok(CliProcess.Run(CliProcess.BuildDirectory, "segment", "--package", v1, "--data", data.Root, "--split", "val", "--out", output), "segment");
        Assert.Equal(data.Ids("val").Select(id => id + ".png").Order(), Directory.GetFiles(output).Select(Path.GetFileName).Order());
        Ok(CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", output, "--data", data.Root, "--split", "val"), "eval");

        // A new version of the package with the same segmenter records the head too.
        Ok(CliProcess.RunTrainer("export", "--package", v1, "--segmenter-run", seg, "--models", models, "--version", "2", "--data", data.Root), "export --package");
        var derived = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "default", "2", "manifest.json"))).RootElement;
        Assert.Equal("deeplab-v3", derived.GetProperty("provenance").GetProperty("settings").GetProperty("segmenter_head").GetString());
    }

    [Fact]
    public void Deeplab_v3_with_a_batch_of_one_is_refused_before_the_data_is_read()
    {
        var (code, _, stderr) = CliProcess.RunTrainer("train-segmenter", "--data", "/nonexistent/voc", "--labels", "/nonexistent/labels", "--run", "/nonexistent/run",
            "--head", "deeplab-v3", "--batch", "1");
        Assert.Equal(2, code);
        Assert.Contains("needs --batch 2 or more", stderr);
    }

    [Fact]
    public void An_unknown_head_is_refused()
    {
        var (code, _, stderr) = CliProcess.RunTrainer("train-segmenter", "--data", data.Root, "--labels", "/nonexistent/labels", "--run", "/nonexistent/run",
            "--head", "deeplab-v4");
        Assert.NotEqual(0, code);
        Assert.Contains("deeplab-v3", stderr);
    }
}
