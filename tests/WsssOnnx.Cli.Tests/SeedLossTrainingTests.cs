using System.Text.Json;

namespace WsssOnnx.Cli.Tests;

/// <summary>train-segmenter --loss sec / dsrg as a user runs them: a tiny run, resumed, recorded in run.json, exported with its provenance.</summary>
public sealed class SeedLossTrainingTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    private static void Ok((int ExitCode, string Stdout, string Stderr) run, string step) =>
        Assert.True(run.ExitCode == 0, $"{step} failed ({run.ExitCode}): {run.Stdout}{run.Stderr}");

    private static string[] Tiny => ["--batch", "2", "--crop", "64", "--width", "8", "--val-split", "none"];

    [Fact]
    public void Sec_and_dsrg_runs_resume_record_their_settings_and_export()
    {
        using var workFolder = new TempFolder("wsss-seedloss-");
        string work = workFolder.Path;
        string cls = Path.Combine(work, "cls"), models = Path.Combine(work, "models"), labels = Path.Combine(work, "labels");
        Directory.CreateDirectory(labels);
        foreach (string id in data.Ids("train"))
            File.Copy(Path.Combine(data.Root, "SegmentationClass", id + ".png"), Path.Combine(labels, id + ".png"));
        Ok(CliProcess.RunTrainer(["train-classifier", "--data", data.Root, "--run", cls, "--epochs", "1", .. Tiny]), "train-classifier");

        string sec = Path.Combine(work, "sec");
        var first = CliProcess.RunTrainer(["train-segmenter", "--data", data.Root, "--labels", labels, "--run", sec, "--loss", "sec", "--epochs", "1",
            "--gwrp-foreground-decay", "0.99", "--warmup-epochs", "0.5", .. Tiny]);
        Ok(first, "train-segmenter --loss sec");
        Assert.Contains("Sec targets per step: forward", first.Stdout);
        var resumed = CliProcess.RunTrainer(["train-segmenter", "--data", data.Root, "--labels", labels, "--run", sec, "--loss", "sec", "--epochs", "2", "--extend",
            "--gwrp-foreground-decay", "0.99", "--warmup-epochs", "0.5", .. Tiny]);
        Ok(resumed, "train-segmenter --loss sec resumed");
        Assert.Contains("resumed from", resumed.Stdout);
        var loss = JsonDocument.Parse(File.ReadAllText(Path.Combine(sec, "run.json"))).RootElement.GetProperty("segmenter_loss");
        Assert.Equal("Sec", loss.GetProperty("loss").GetString());
        Assert.Equal(0.99, loss.GetProperty("foreground_decay").GetDouble(), 6);
        Assert.Equal(0.999, loss.GetProperty("background_decay").GetDouble(), 6);
        Assert.Equal(0.5, loss.GetProperty("warmup_epochs").GetDouble(), 6);
        Assert.Equal(10, loss.GetProperty("crf").GetProperty("iterations").GetInt32());
        Assert.Equal(13, loss.GetProperty("crf").GetProperty("bilateral_srgb").GetDouble(), 6);

        // The run folder refuses to go on with another loss.
        var other = CliProcess.RunTrainer(["train-segmenter", "--data", data.Root, "--labels", labels, "--run", sec, "--loss", "dsrg", "--epochs", "2", .. Tiny]);
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("segmenter_loss", other.Stderr);

        Ok(CliProcess.RunTrainer("export", "--classifier-run", cls, "--segmenter-run", sec, "--models", models, "--version", "1", "--data", data.Root,
            "--threshold-images", "0"), "export sec");
        var settings = Provenance(Path.Combine(models, "default", "1")).GetProperty("settings");
        Assert.Equal("sec", settings.GetProperty("segmenter_loss").GetString());
        Assert.Contains("\"foreground_decay\":0.99", settings.GetProperty("segmenter_loss_options").GetString());

        string dsrg = Path.Combine(work, "dsrg");
        var grown = CliProcess.RunTrainer(["train-segmenter", "--data", data.Root, "--labels", labels, "--run", dsrg, "--loss", "dsrg", "--epochs", "1",
            "--grow-foreground-threshold", "0.8", .. Tiny]);
        Ok(grown, "train-segmenter --loss dsrg");
        Assert.Contains("Dsrg targets per step: forward", grown.Stdout);
        Ok(CliProcess.RunTrainer(["train-segmenter", "--data", data.Root, "--labels", labels, "--run", dsrg, "--loss", "dsrg", "--epochs", "2", "--extend",
            "--grow-foreground-threshold", "0.8", .. Tiny]), "train-segmenter --loss dsrg resumed");
        var dsrgLoss = JsonDocument.Parse(File.ReadAllText(Path.Combine(dsrg, "run.json"))).RootElement.GetProperty("segmenter_loss");
        Assert.Equal("Dsrg", dsrgLoss.GetProperty("loss").GetString());
        Assert.Equal(0.8, dsrgLoss.GetProperty("foreground_threshold").GetDouble(), 6);
        Assert.Equal(0.99, dsrgLoss.GetProperty("background_threshold").GetDouble(), 6);

        // Derived from package 1: the new segmenter's loss replaces the source's in the provenance settings.
        Ok(CliProcess.RunTrainer("export", "--package", Path.Combine(models, "default", "1"), "--segmenter-run", dsrg, "--models", models, "--version", "2",
            "--data", data.Root), "export --package dsrg");
        var derived = Provenance(Path.Combine(models, "default", "2"));
        Assert.Equal("dsrg", derived.GetProperty("settings").GetProperty("segmenter_loss").GetString());
        Assert.Contains(derived.GetProperty("commands").EnumerateArray(), c => c.GetString()!.Contains("--loss dsrg", StringComparison.Ordinal));
    }

    private static JsonElement Provenance(string package) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(package, "manifest.json"))).RootElement.GetProperty("provenance");

    [Theory]
    [InlineData("--loss sec --gwrp-foreground-decay 1.5", "ForegroundDecay must be in [0, 1]")]
    [InlineData("--loss sec --gwrp-background-decay -0.1", "BackgroundDecay must be in [0, 1]")]
    [InlineData("--loss dsrg --grow-background-threshold 1", "BackgroundThreshold must be in [0, 1)")]
    [InlineData("--loss dsrg --grow-foreground-threshold nan", "ForegroundThreshold must be in [0, 1)")]
    [InlineData("--loss sec --grow-foreground-threshold 0.9", "--grow-foreground-threshold sets a parameter of --loss dsrg")]
    [InlineData("--gwrp-background-decay 0.9", "--gwrp-background-decay sets a parameter of --loss sec, not of --loss cross-entropy")]
    [InlineData("--loss dsrg --warmup-epochs -1", "WarmupEpochs must be in [0, 1000]")]
    [InlineData("--warmup-epochs 2", "--warmup-epochs sets a parameter of --loss sec and dsrg, not of --loss cross-entropy")]
    public void Bad_loss_settings_are_refused_in_a_sentence_before_the_data_is_read(string options, string message)
    {
        var (code, _, stderr) = CliProcess.RunTrainer(["train-segmenter", "--data", "/nonexistent/voc", "--run", "/nonexistent/run", "--labels", "/nonexistent/labels",
            .. options.Split(' ')]);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void An_unknown_loss_is_refused()
    {
        var (code, _, stderr) = CliProcess.RunTrainer("train-segmenter", "--data", "/nonexistent/voc", "--run", "/nonexistent/run", "--labels", "/nonexistent/labels",
            "--loss", "focal");
        Assert.NotEqual(0, code);
        Assert.Contains("sec", stderr);
    }
}
