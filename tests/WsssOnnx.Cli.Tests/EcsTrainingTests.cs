using System.Text.Json;

namespace WsssOnnx.Cli.Tests;

/// <summary>
/// ECS-Net training as a user runs it: train-classifier --ecs records its settings, resumes, and exports an ordinary
/// CAM package on which CAM and AdvCAM run; bad ECS settings are refused in a sentence before the data is read.
/// </summary>
public sealed class EcsTrainingTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    private static void Ok((int ExitCode, string Stdout, string Stderr) run, string step) =>
        Assert.True(run.ExitCode == 0, $"{step} failed ({run.ExitCode}): {run.Stdout}{run.Stderr}");

    [Fact]
    public void An_ecs_classifier_trains_resumes_and_exports_a_package_that_cam_and_advcam_read()
    {
        using var workFolder = new TempFolder("wsss-ecs-");
        string work = workFolder.Path;
        string cls = Path.Combine(work, "cls"), models = Path.Combine(work, "models");
        string[] Train(params string[] extra) =>
            ["train-classifier", "--data", data.Root, "--run", cls, "--batch", "2", "--crop", "64", "--width", "8", "--val-split", "none",
             "--ecs", "--ecs-blur-sigma", "3", .. extra];
        var first = CliProcess.RunTrainer(Train("--epochs", "1"));
        Ok(first, "train-classifier --ecs");
        Assert.DoesNotContain("NaN", first.Stdout);
        // Its loss terms have their columns, finite, beside the loss.
        var metrics = File.ReadAllLines(Path.Combine(cls, "metrics.csv"));
        var columns = metrics[0].Split(',');
        foreach (string term in (string[])["classification_loss", "ecs_loss", "erased_classification_loss"])
        {
            int column = Array.IndexOf(columns, term);
            Assert.True(column >= 0, $"metrics.csv has no {term} column: {metrics[0]}");
            Assert.True(double.IsFinite(double.Parse(metrics[1].Split(',')[column], System.Globalization.CultureInfo.InvariantCulture)), metrics[1]);
        }
        var ecs = JsonDocument.Parse(File.ReadAllText(Path.Combine(cls, "run.json"))).RootElement.GetProperty("ecs");
        Assert.Equal(0.6f, ecs.GetProperty("threshold").GetSingle());
        Assert.Equal(3f, ecs.GetProperty("blur_sigma").GetSingle());

        var withoutEcs = CliProcess.RunTrainer("train-classifier", "--data", data.Root, "--run", cls, "--batch", "2", "--crop", "64", "--width", "8",
            "--val-split", "none", "--epochs", "1");
        Assert.Equal(2, withoutEcs.ExitCode);
        Assert.Contains("ecs", withoutEcs.Stderr);

        var resumed = CliProcess.RunTrainer(Train("--epochs", "2", "--extend"));
        Ok(resumed, "resume --ecs");
        Assert.Contains("resumed from", resumed.Stdout);
        Assert.Contains("epoch 2:", resumed.Stdout);

        Ok(CliProcess.RunTrainer("export", "--classifier-run", cls, "--models", models, "--version", "1", "--data", data.Root, "--threshold-images", "0"), "export");
        string package = Path.Combine(models, "default", "1");
        var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(package, "manifest.json"))).RootElement.GetProperty("provenance").GetProperty("settings");
        Assert.StartsWith("threshold 0.6, weight 1, erased weight 1,", settings.GetProperty("classifier_ecs").GetString());

        string id = data.Ids("val")[0];
        string cls0 = data.Classes(id)[0];
        foreach (string method in (string[])["cam", "advcam"])
        {
            using var outputFolder = new TempFolder("wsss-ecs-out-");
            var attributed = CliProcess.Run(CliProcess.BuildDirectory, ["attribute", "--package", package, "--image", Path.Combine(data.Root, "JPEGImages", id + ".jpg"),
                "--classes", cls0, "--method", method, .. method == "advcam" ? (string[])["--steps", "2"] : [], "--out", outputFolder.Path]);
            Ok(attributed, "attribute --method " + method);
            Assert.True(File.Exists(Path.Combine(outputFolder.Path, $"{id}_{cls0}_heatmap.png")));
        }
    }

    [Theory]
    [InlineData("ECS Threshold must be between 0 and 1", "--ecs", "--ecs-threshold", "1.5")]
    [InlineData("ECS Weight must be above 0", "--ecs", "--ecs-weight", "0")]
    [InlineData("ECS ErasedClassificationWeight must be between 0 and 100", "--ecs", "--ecs-erased-weight", "-1")]
    [InlineData("ECS Foreground must be above ECS Background", "--ecs", "--ecs-foreground", "0.04")]
    [InlineData("ECS BlurSigma must be between 0.5 and 64", "--ecs", "--ecs-blur-sigma", "0.1")]
    [InlineData("--ecs-weight is a setting of ECS-Net training: give --ecs with it", "--ecs-weight", "2")]
    public void Bad_ecs_settings_are_refused_in_a_sentence_before_the_data_is_read(string message, params string[] options)
    {
        var (code, stdout, stderr) = CliProcess.RunTrainer(["train-classifier", "--data", "/nonexistent/voc", "--run", "/nonexistent/run", .. options]);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }
}
