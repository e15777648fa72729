using System.Text.Json;

namespace WsssOnnx.Cli.Tests;

/// <summary>train-segmenter --pixel-labels: a few training images on their ground truth, the rest on pseudo-labels; recorded in run.json and the manifest; bad splits refused in a sentence.</summary>
public sealed class PixelLabelTrainingTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    private static void Ok((int ExitCode, string Stdout, string Stderr) run, string step) =>
        Assert.True(run.ExitCode == 0, $"{step} failed ({run.ExitCode}): {run.Stdout}{run.Stderr}");

    [Fact]
    public void A_few_pixel_labelled_images_train_on_ground_truth_and_are_recorded()
    {
        using var workFolder = new TempFolder("wsss-pixel-");
        string work = workFolder.Path;
        string cls = Path.Combine(work, "cls"), seg = Path.Combine(work, "seg"), models = Path.Combine(work, "models"), labels = Path.Combine(work, "labels");
        var train = data.Ids("train");
        string[] labelled = [train[0], train[3]];
        string list = Path.Combine(work, "few.txt");
        File.WriteAllLines(list, labelled);
        // Pseudo-labels for the other images only: the pixel-labelled ones need none.
        Directory.CreateDirectory(labels);
        foreach (string id in train.Except(labelled))
            File.Copy(Path.Combine(data.Root, "SegmentationClass", id + ".png"), Path.Combine(labels, id + ".png"));

        var run = CliProcess.RunTrainer("train-segmenter", "--data", data.Root, "--labels", labels, "--run", seg, "--pixel-labels", list,
            "--epochs", "1", "--batch", "2", "--crop", "64", "--width", "8", "--val-split", "none");
        Ok(run, "train-segmenter --pixel-labels");
        Assert.Contains($"2 of them ({list}) train on their ground-truth masks", run.Stdout);
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(seg, "run.json"))).RootElement;
        Assert.Equal(list, config.GetProperty("pixel_labels").GetString());
        Assert.Equal(2, config.GetProperty("pixel_labelled_images").GetInt32());

        // Without the option the images lacking pseudo-labels cannot train: the split is what supplies their labels.
        var without = CliProcess.RunTrainer("train-segmenter", "--data", data.Root, "--labels", labels, "--run", Path.Combine(work, "seg2"),
            "--epochs", "1", "--batch", "2", "--crop", "64", "--width", "8", "--val-split", "none", "--stop-on-bad-sample");
        Assert.NotEqual(0, without.ExitCode);
        Assert.Contains("no pseudo-label", without.Stderr + without.Stdout);

        Ok(CliProcess.RunTrainer("train-classifier", "--data", data.Root, "--run", cls, "--epochs", "1", "--batch", "2", "--crop", "64", "--width", "8",
            "--val-split", "none"), "train-classifier");
        Ok(CliProcess.RunTrainer("export", "--classifier-run", cls, "--segmenter-run", seg, "--models", models, "--version", "1", "--data", data.Root,
            "--threshold-images", "0"), "export");
        var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "default", "1", "manifest.json"))).RootElement
            .GetProperty("provenance").GetProperty("settings");
        Assert.Equal($"{list} (2 images)", settings.GetProperty("segmenter_pixel_labels").GetString());
        Assert.Equal("deeplab-v2", settings.GetProperty("segmenter_head").GetString());
    }

    [Fact]
    public void Bad_pixel_label_splits_are_refused_in_a_sentence()
    {
        using var workFolder = new TempFolder("wsss-pixel-bad-");
        string work = workFolder.Path;
        string[] Args(string split) => ["train-segmenter", "--data", data.Root, "--labels", work, "--run", Path.Combine(work, "run"), "--pixel-labels", split,
            "--epochs", "1", "--batch", "2", "--crop", "64", "--width", "8", "--val-split", "none"];

        var (code, _, stderr) = CliProcess.RunTrainer(Args(Path.Combine(work, "absent.txt")));
        Assert.Equal(1, code);
        Assert.Contains("absent.txt", stderr);

        // The validation split's images are not training images.
        (code, _, stderr) = CliProcess.RunTrainer(Args("val"));
        Assert.Equal(2, code);
        Assert.Contains("not training images", stderr);
        Assert.Contains(data.Ids("val")[0], stderr);
        Assert.False(File.Exists(Path.Combine(work, "run", "run.json")), "nothing is started for a refused split");
    }
}
