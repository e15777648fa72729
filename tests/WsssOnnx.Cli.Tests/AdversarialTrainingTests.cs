using System.Globalization;
using System.Text.Json;
using WsssOnnx.Graph;

namespace WsssOnnx.Cli.Tests;

/// <summary>train-segmenter --adversarial: Hung et al.'s discriminator beside a --pixel-labels run, its terms in the metrics, its state in the checkpoint.</summary>
public sealed class AdversarialTrainingTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    private static Dictionary<string, float[]> DiscriminatorTensors(string run) =>
        ModelFile.FloatInitializers(ModelFile.Read(Path.Combine(run, "checkpoint.onnx")))
            .Where(kv => kv.Key.StartsWith("auxiliary/", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value.Data);

    [Fact]
    public void An_adversarial_run_logs_its_terms_checkpoints_its_discriminator_and_resumes()
    {
        using var workFolder = new TempFolder("wsss-adv-");
        string work = workFolder.Path;
        string seg = Path.Combine(work, "seg"), labels = Path.Combine(work, "labels"), list = Path.Combine(work, "few.txt");
        var train = data.Ids("train");
        string[] labelled = [train[0], train[3]];
        File.WriteAllLines(list, labelled);
        Directory.CreateDirectory(labels);
        foreach (string id in train.Except(labelled))
            File.Copy(Path.Combine(data.Root, "SegmentationClass", id + ".png"), Path.Combine(labels, id + ".png"));
        string[] Train(string epochs, params string[] extra) => ["train-segmenter", "--data", data.Root, "--labels", labels, "--run", seg, "--pixel-labels", list,
            "--adversarial", "--semi-start", "1", "--epochs", epochs, "--batch", "2", "--crop", "64", "--width", "8", "--val-split", "none", .. extra];

        var run = CliProcess.RunTrainer(Train("1"));
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("self-taught loss from step 1", run.Stdout);
        var metrics = File.ReadAllLines(Path.Combine(seg, "metrics.csv"));
        var columns = metrics[0].Split(',');
        foreach (string term in (string[])["discriminator_loss", "adversarial_loss", "self_taught_loss", "confident_fraction", "cross_entropy_loss"])
        {
            int column = Array.IndexOf(columns, term);
            Assert.True(column >= 0, $"metrics.csv has no {term} column: {metrics[0]}");
            Assert.True(double.IsFinite(double.Parse(metrics[1].Split(',')[column], CultureInfo.InvariantCulture)), metrics[1]);
        }
        var json = JsonDocument.Parse(File.ReadAllLines(Path.Combine(seg, "metrics.jsonl"))[0]).RootElement;
        Assert.True(double.IsFinite(json.GetProperty("discriminator_loss").GetDouble()));
        var adversarial = JsonDocument.Parse(File.ReadAllText(Path.Combine(seg, "run.json"))).RootElement.GetProperty("adversarial");
        Assert.Equal(0.01, adversarial.GetProperty("adversarial_weight").GetDouble(), 6);
        Assert.Equal(1, adversarial.GetProperty("semi_start").GetInt32());

        // The checkpoint holds the discriminator's weights and Adam's moments apart from the segmenter's.
        var saved = DiscriminatorTensors(seg);
        Assert.Contains("auxiliary/disc.conv1.weight", saved.Keys);
        Assert.Contains("auxiliary/adam_m/disc.conv5.bias", saved.Keys);

        // Extended by an epoch, it trains on from the saved discriminator.
        var extended = CliProcess.RunTrainer(Train("2", "--extend"));
        Assert.True(extended.ExitCode == 0, extended.Stdout + extended.Stderr);
        Assert.Contains("resumed from", extended.Stdout);
        Assert.Contains("epoch 2:", extended.Stdout);
        Assert.Contains("discriminator_loss", extended.Stdout);
        var after = DiscriminatorTensors(seg);
        Assert.Equal(saved.Keys.Order(), after.Keys.Order());
        Assert.Contains(saved.Keys, k => !saved[k].SequenceEqual(after[k]));

        // Export packages the segmenter alone and records the settings.
        string cls = Path.Combine(work, "cls"), models = Path.Combine(work, "models");
        var classifier = CliProcess.RunTrainer("train-classifier", "--data", data.Root, "--run", cls, "--epochs", "1", "--batch", "2", "--crop", "64", "--width", "8",
            "--val-split", "none");
        Assert.True(classifier.ExitCode == 0, classifier.Stdout + classifier.Stderr);
        var export = CliProcess.RunTrainer("export", "--classifier-run", cls, "--segmenter-run", seg, "--models", models, "--version", "1", "--data", data.Root,
            "--threshold-images", "0");
        Assert.True(export.ExitCode == 0, export.Stdout + export.Stderr);
        string package = Path.Combine(models, "default", "1");
        var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(package, "manifest.json"))).RootElement.GetProperty("provenance").GetProperty("settings");
        Assert.StartsWith("adv weight 0.01, unlabelled adv weight 0.001, semi weight 0.1, semi threshold 0.2, semi start 1", settings.GetProperty("segmenter_adversarial").GetString());
        foreach (string file in Directory.GetFiles(package, "*.onnx"))
            Assert.DoesNotContain(ModelFile.Read(file).Graph.Initializer, t => t.Name.Contains("disc.", StringComparison.Ordinal));
    }

    [Fact]
    public void Adversarial_training_without_pixel_labels_or_with_bad_values_is_refused_before_the_data_is_read()
    {
        using var workFolder = new TempFolder("wsss-adv-bad-");
        string work = workFolder.Path;
        string[] Args(params string[] extra) => ["train-segmenter", "--data", Path.Combine(work, "absent"), "--labels", work, "--run", Path.Combine(work, "run"),
            "--epochs", "1", "--batch", "2", "--crop", "64", "--width", "8", "--val-split", "none", .. extra];

        var (code, _, stderr) = CliProcess.RunTrainer(Args("--adversarial"));
        Assert.Equal(2, code);
        Assert.Contains("--adversarial needs --pixel-labels", stderr);

        (code, _, stderr) = CliProcess.RunTrainer(Args("--pixel-labels", "few", "--adversarial", "--semi-threshold", "1.5"));
        Assert.Equal(2, code);
        Assert.Contains("--semi-threshold must be in [0, 1); got 1.5.", stderr);

        (code, _, stderr) = CliProcess.RunTrainer(Args("--pixel-labels", "few", "--adversarial", "--discriminator-lr", "0"));
        Assert.Equal(2, code);
        Assert.Contains("--discriminator-lr", stderr);

        (code, _, stderr) = CliProcess.RunTrainer(Args("--pixel-labels", "few", "--adversarial", "--real-label-smoothing", "1"));
        Assert.Equal(2, code);
        Assert.Contains("--real-label-smoothing must be in [0, 1); got 1.", stderr);

        (code, _, stderr) = CliProcess.RunTrainer(Args("--semi-weight", "0.5"));
        Assert.Equal(2, code);
        Assert.Contains("--semi-weight is a setting of adversarial training", stderr);
        Assert.False(Directory.Exists(Path.Combine(work, "run")), "nothing is started for a refused command");
    }
}
