using System.Text.Json;

namespace WsssOnnx.Cli.Tests;

/// <summary>`train-classifier --fgsm-epsilon` as a user runs it: recorded in run.json, both losses logged; bad values refused in a sentence.</summary>
public sealed class FgsmTrainingTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    [Fact]
    public void An_fgsm_run_records_its_radius_and_logs_the_start_and_adversarial_losses()
    {
        using var workFolder = new TempFolder("wsss-fgsm-");
        string run = Path.Combine(workFolder.Path, "cls");
        var (code, stdout, stderr) = CliProcess.RunTrainer(["train-classifier", "--data", data.Root, "--run", run, "--batch", "2", "--crop", "64", "--width", "8",
            "--val-split", "none", "--epochs", "1", "--fgsm-epsilon", "0.05", "--fgsm-clean-weight", "0.3"]);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json"))).RootElement;
        Assert.Equal(0.05f, config.GetProperty("fgsm_epsilon").GetSingle());
        Assert.Equal(0.3f, config.GetProperty("fgsm_clean_weight").GetSingle());
        var header = File.ReadLines(Path.Combine(run, "metrics.csv")).First().Split(',');
        Assert.Contains("start_classification_loss", header);
        Assert.Contains("adversarial_classification_loss", header);
        Assert.Contains("adversarial_classification_loss", stdout);
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
