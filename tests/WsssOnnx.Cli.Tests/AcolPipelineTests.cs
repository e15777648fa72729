using System.Text.Json;

namespace WsssOnnx.Cli.Tests;

/// <summary>
/// ACoL end to end as a user runs it: train-classifier --acol records it and resumes, export says so in the manifest,
/// `wsss attribute --method acol` and `--method advcam` give maps from it; bad values and a plain package are refused in a sentence.
/// </summary>
public sealed class AcolPipelineTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    private static void Ok((int ExitCode, string Stdout, string Stderr) run, string step) =>
        Assert.True(run.ExitCode == 0, $"{step} failed ({run.ExitCode}): {run.Stdout}{run.Stderr}");

    [Fact]
    public void Acol_trains_resumes_exports_and_attributes()
    {
        using var workFolder = new TempFolder("wsss-acol-");
        string work = workFolder.Path;
        string run = Path.Combine(work, "cls"), models = Path.Combine(work, "models");
        string[] Train(params string[] extra) =>
            ["train-classifier", "--data", data.Root, "--run", run, "--batch", "2", "--crop", "64", "--width", "8", "--val-split", "none", "--acol", .. extra];
        Ok(CliProcess.RunTrainer(Train("--epochs", "1", "--acol-threshold", "0.5")), "train-classifier --acol");
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json"))).RootElement;
        Assert.Equal(0.5f, config.GetProperty("classifier").GetProperty("acol").GetProperty("threshold").GetSingle());
        Assert.True(File.Exists(Path.Combine(run, "checkpoint.onnx")));

        // Resuming with another delta is refused, naming the setting; the same settings extended resume.
        var refused = CliProcess.RunTrainer(Train("--epochs", "1"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("classifier", refused.Stderr);
        Ok(CliProcess.RunTrainer(Train("--epochs", "2", "--acol-threshold", "0.5", "--extend")), "resume --extend");
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length);

        var exported = CliProcess.RunTrainer("export", "--classifier-run", run, "--models", models, "--version", "1", "--data", data.Root, "--threshold-images", "0");
        Ok(exported, "export");
        // The measurement's networks load without a warm-up run, whose batch of 1 the climber's Reshape rejected: ORT
        // printed that error on every export although the export succeeded.
        Assert.DoesNotContain("[E:onnxruntime", exported.Stdout + exported.Stderr);
        string package = Path.Combine(models, "default", "1");
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(package, "manifest.json"))).RootElement;
        Assert.Equal("acol", manifest.GetProperty("localiser").GetProperty("kind").GetString());
        Assert.Equal(0.5f, manifest.GetProperty("localiser").GetProperty("acol_threshold").GetSingle());
        Assert.Equal("acol", manifest.GetProperty("provenance").GetProperty("settings").GetProperty("classifier_localiser").GetString());

        string id = data.Ids("val")[0];
        string image = Path.Combine(data.Root, "JPEGImages", id + ".jpg"), cls = data.Classes(id)[0];
        foreach (var (method, said) in new[] { ("acol", "ACoL"), ("advcam", "AdvCAM, 2 steps") })
        {
            string output = Path.Combine(work, method);
            var attributed = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", package, "--image", image, "--classes", cls,
                "--method", method, "--steps", "2", "--out", output);
            Ok(attributed, $"attribute --method {method}");
            Assert.Contains(said, attributed.Stdout);
            Assert.True(File.Exists(Path.Combine(output, $"{id}_{cls}_map.png")));
            Assert.True(File.Exists(Path.Combine(output, $"{id}_seeds.png")));
        }
    }

    [Fact]
    public void Acol_on_a_plain_package_is_refused_in_a_sentence()
    {
        string id = data.Ids("val")[0];
        using var outputFolder = new TempFolder("wsss-acol-");
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", SyntheticDataset.Package,
            "--image", Path.Combine(data.Root, "JPEGImages", id + ".jpg"), "--classes", data.Classes(id)[0], "--method", "acol", "--out", outputFolder.Path);
        Assert.True(code == 1, $"exit {code}: {stdout}{stderr}");
        Assert.Contains("--method acol needs a classifier trained with ACoL", stderr);
        Assert.Contains("trained as cam", stderr);
        Assert.Empty(Directory.GetFiles(outputFolder.Path));
    }

    [Theory]
    [InlineData("--acol", "--acol-threshold", "1.5")]
    [InlineData("--acol", "--acol-threshold", "0")]
    [InlineData("--acol-threshold", "0.5")]
    [InlineData("--acol", "--ecs")]
    public void Bad_acol_options_are_refused_before_the_data_is_read(params string[] acol)
    {
        var (code, _, stderr) = CliProcess.RunTrainer(["train-classifier", "--data", "/nonexistent/voc", "--run", "/nonexistent/run", .. acol]);
        Assert.Equal(2, code);
        Assert.Contains("--acol", stderr);
        Assert.DoesNotContain("nonexistent", stderr);
    }
}
