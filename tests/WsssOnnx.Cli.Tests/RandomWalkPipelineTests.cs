using System.Text.Json;

namespace WsssOnnx.Cli.Tests;

/// <summary>
/// IRN end to end as a user runs it: confident labels from a package, train-irn on its frozen backbone, export with
/// the boundary network, random-walk labels from relabel and attribute; a package without one is refused in a sentence.
/// </summary>
public sealed class RandomWalkPipelineTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    private static void Ok((int ExitCode, string Stdout, string Stderr) run, string step) =>
        Assert.True(run.ExitCode == 0, $"{step} failed ({run.ExitCode}): {run.Stdout}{run.Stderr}");

    [Fact]
    public void Boundary_network_trains_exports_and_makes_random_walk_labels()
    {
        using var workFolder = new TempFolder("wsss-irn-");
        string work = workFolder.Path;
        string cls = Path.Combine(work, "cls"), irn = Path.Combine(work, "irn"), models = Path.Combine(work, "models");
        string conf = Path.Combine(work, "conf"), rw = Path.Combine(work, "rw");
        Ok(CliProcess.RunTrainer("train-classifier", "--data", data.Root, "--run", cls, "--epochs", "1", "--batch", "2", "--crop", "64", "--width", "8",
            "--val-split", "none"), "train-classifier");
        Ok(CliProcess.RunTrainer("export", "--classifier-run", cls, "--models", models, "--version", "1", "--data", data.Root, "--threshold-images", "0"), "export v1");
        string v1 = Path.Combine(models, "default", "1");
        Ok(CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", v1, "--data", data.Root, "--split", "train", "--out", conf,
            "--method", "cam", "--mode", "confident"), "relabel confident");

        var train = CliProcess.RunTrainer("train-irn", "--package", v1, "--data", data.Root, "--labels", conf, "--run", irn,
            "--epochs", "1", "--batch", "2", "--crop", "64", "--val-split", "none");
        Ok(train, "train-irn");
        Assert.Contains("frozen backbone", train.Stdout);
        var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(irn, "run.json"))).RootElement;
        Assert.Equal("irn", run.GetProperty("kind").GetString());
        Assert.Equal(10, run.GetProperty("affinity_radius").GetInt32());
        Assert.True(File.Exists(Path.Combine(irn, "checkpoint.onnx")));

        Ok(CliProcess.RunTrainer("export", "--classifier-run", cls, "--irn-run", irn, "--models", models, "--version", "2", "--data", data.Root,
            "--threshold-images", "0"), "export v2");
        string v2 = Path.Combine(models, "default", "2");
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(v2, "manifest.json"))).RootElement;
        Assert.Equal("boundary.onnx", manifest.GetProperty("files").GetProperty("boundary").GetProperty("path").GetString());
        Assert.Equal(10, manifest.GetProperty("random_walk").GetProperty("beta").GetSingle());
        Assert.Equal(8, manifest.GetProperty("random_walk").GetProperty("exp_times").GetInt32());
        Assert.True(manifest.GetProperty("metrics").TryGetProperty("random_walk_miou", out _), "export measures the random walk");

        // The same boundary network added to the existing package v1: its classifier and climber stay byte for byte.
        var derived = CliProcess.RunTrainer("export", "--package", v1, "--irn-run", irn, "--models", models, "--version", "3", "--data", data.Root,
            "--provenance-command", "wsss relabel --mode confident");
        Ok(derived, "export --package");
        string v3 = Path.Combine(models, "default", "3");
        foreach (string file in (string[])["classifier.onnx", "climber.onnx"])
            Assert.Equal(File.ReadAllBytes(Path.Combine(v1, file)), File.ReadAllBytes(Path.Combine(v3, file)));
        var v1Manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(v1, "manifest.json"))).RootElement;
        var v3Manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(v3, "manifest.json"))).RootElement;
        Assert.Equal("3", v3Manifest.GetProperty("version").GetString());
        Assert.Equal(v1Manifest.GetProperty("adv_cam").GetRawText(), v3Manifest.GetProperty("adv_cam").GetRawText());
        Assert.Equal(v1Manifest.GetProperty("metrics").GetProperty("val_map").GetDouble(), v3Manifest.GetProperty("metrics").GetProperty("val_map").GetDouble());
        Assert.True(v3Manifest.GetProperty("metrics").TryGetProperty("random_walk_miou", out _));
        var v3Commands = v3Manifest.GetProperty("provenance").GetProperty("commands").EnumerateArray().Select(c => c.GetString()!).ToList();
        var v1Commands = v1Manifest.GetProperty("provenance").GetProperty("commands").EnumerateArray().Select(c => c.GetString()!).ToList();
        // The source's history, then the given commands, then the runs' own and this export.
        Assert.Equal(v1Commands, v3Commands.Take(v1Commands.Count));
        Assert.Equal("wsss relabel --mode confident", v3Commands[v1Commands.Count]);
        Assert.Contains("train-irn", v3Commands[v1Commands.Count + 1]);
        Assert.StartsWith("wsss-train export --package", v3Commands[^1]);
        Assert.Equal(File.ReadAllBytes(Path.Combine(v2, "boundary.onnx")).Length, v3Manifest.GetProperty("files").GetProperty("boundary").GetProperty("bytes").GetInt64());

        // Deriving needs a new network, and one source of the classifier.
        var refusedExport = CliProcess.RunTrainer("export", "--package", v1, "--models", models, "--version", "9", "--data", data.Root);
        Assert.Equal(2, refusedExport.ExitCode);
        Assert.Contains("--segmenter-run and/or --irn-run", refusedExport.Stderr);
        refusedExport = CliProcess.RunTrainer("export", "--package", v1, "--classifier-run", cls, "--irn-run", irn, "--models", models, "--version", "9");
        Assert.Equal(2, refusedExport.ExitCode);
        Assert.Contains("not both", refusedExport.Stderr);
        Assert.False(Directory.Exists(Path.Combine(models, "default", "9")));

        Ok(CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", v2, "--data", data.Root, "--split", "val", "--out", rw,
            "--method", "cam", "--mode", "rw"), "relabel rw");
        Assert.Equal(data.Ids("val").Order(), Directory.GetFiles(rw, "*.png").Select(Path.GetFileNameWithoutExtension).Order());
        var eval = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", rw, "--data", data.Root, "--split", "val");
        Ok(eval, "eval rw");
        Assert.Contains("mIoU", eval.Stdout);

        string id0 = data.Ids("val")[0];
        string pictures = Path.Combine(work, "pictures");
        Ok(CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", v2, "--image", Path.Combine(data.Root, "JPEGImages", id0 + ".jpg"),
            "--classes", string.Join(',', data.Classes(id0)), "--method", "cam", "--rw", "--out", pictures), "attribute --rw");
        Assert.Single(Directory.GetFiles(pictures, "*_rw.png"));

        // The package without a boundary network: one sentence, exit 1, for relabel and attribute.
        var refused = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", v1, "--data", data.Root, "--split", "val", "--out", Path.Combine(work, "none"),
            "--method", "cam", "--mode", "rw");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("boundary network", refused.Stderr);
        Assert.DoesNotContain("   at ", refused.Stderr + refused.Stdout);
        refused = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", v1, "--image", Path.Combine(data.Root, "JPEGImages", id0 + ".jpg"),
            "--classes", data.Classes(id0)[0], "--method", "cam", "--rw", "--out", pictures);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("boundary network", refused.Stderr);
    }

    [Fact]
    public void Train_irn_without_a_backbone_or_with_a_foreign_one_is_refused_in_a_sentence()
    {
        var (code, _, stderr) = CliProcess.RunTrainer("train-irn", "--data", data.Root, "--labels", "/nonexistent/labels", "--run", "/nonexistent/run");
        Assert.Equal(2, code);
        Assert.Contains("--package, --pretrained imagenet or --init-from", stderr);
        (code, _, stderr) = CliProcess.RunTrainer("train-irn", "--package", "/nonexistent/pkg", "--data", data.Root, "--labels", "/nonexistent/labels", "--run", "/nonexistent/run");
        Assert.Equal(1, code);
        Assert.Contains("/nonexistent/pkg", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}
