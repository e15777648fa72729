using System.Text.Json;

namespace WsssOnnx.Cli.Tests;

/// <summary>
/// `train-classifier --fgsm-epsilon` as a user runs it: recorded in run.json and the exported package's provenance, both
/// losses logged; bad values refused in a sentence.
/// </summary>
public sealed class FgsmTrainingTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    [Fact]
    public void An_fgsm_run_records_its_settings_in_run_json_and_the_package_and_logs_both_losses()
    {
        using var workFolder = new TempFolder("wsss-fgsm-");
        string run = Path.Combine(workFolder.Path, "cls");
        var (code, stdout, stderr) = CliProcess.RunTrainer(["train-classifier", "--data", data.Root, "--run", run, "--batch", "2", "--crop", "64", "--width", "8",
            "--val-split", "none", "--epochs", "1", "--fgsm-epsilon", "0.05", "--fgsm-clean-weight", "0.3"]);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json"))).RootElement;
        Assert.Equal(0.05f, config.GetProperty("fgsm").GetProperty("epsilon").GetSingle());
        Assert.Equal(0.3f, config.GetProperty("fgsm").GetProperty("clean_weight").GetSingle());
        var header = File.ReadLines(Path.Combine(run, "metrics.csv")).First().Split(',');
        Assert.Contains("start_classification_loss", header);
        Assert.Contains("adversarial_classification_loss", header);
        Assert.Contains("adversarial_classification_loss", stdout);

        string models = Path.Combine(workFolder.Path, "models");
        (code, stdout, stderr) = CliProcess.RunTrainer(["export", "--classifier-run", run, "--models", models, "--version", "1", "--data", data.Root, "--threshold-images", "0"]);
        Assert.True(code == 0, $"export: exit {code}: {stdout}{stderr}");
        var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "default", "1", "manifest.json"))).RootElement
            .GetProperty("provenance").GetProperty("settings");
        Assert.Equal("epsilon 0.05, clean weight 0.3", settings.GetProperty("classifier_fgsm").GetString());
    }

    [Theory]
    [InlineData("--ecs")]
    [InlineData("--acol")]
    [InlineData("--fgsm-epsilon", "0")]
    public void The_pretrained_recipes_fgsm_default_yields_to_ecs_acol_and_an_explicit_0(params string[] extra)
    {
        // Options are checked before the data is read: what fails here is the missing data set, not the FGSM rules.
        var (code, _, stderr) = CliProcess.RunTrainer(["train-classifier", "--data", "/nonexistent/voc", "--run", "/nonexistent/run", "--pretrained", "imagenet", .. extra]);
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("--fgsm", stderr);
        Assert.Contains("nonexistent", stderr);
    }

    [Theory]
    [InlineData("--fgsm-epsilon", "-0.1")]
    [InlineData("--fgsm-epsilon", "12")]
    [InlineData("--fgsm-epsilon", "0.1", "--ecs")]
    [InlineData("--fgsm-epsilon", "0.1", "--acol")]
    [InlineData("--fgsm-epsilon", "0.1", "--fgsm-clean-weight", "1")]
    [InlineData("--fgsm-clean-weight", "0.5")]
    [InlineData("--pretrained", "imagenet", "--ecs", "--fgsm-clean-weight", "0.5")]
    [InlineData("--pretrained", "imagenet", "--fgsm-epsilon", "0.1", "--acol")]
    public void Bad_fgsm_options_are_refused_before_the_data_is_read(params string[] fgsm)
    {
        var (code, _, stderr) = CliProcess.RunTrainer(["train-classifier", "--data", "/nonexistent/voc", "--run", "/nonexistent/run", .. fgsm]);
        Assert.Equal(2, code);
        Assert.Contains(fgsm.Contains("--fgsm-clean-weight") ? "--fgsm-clean-weight" : "--fgsm-epsilon", stderr);
        Assert.DoesNotContain("nonexistent", stderr);
    }
}
