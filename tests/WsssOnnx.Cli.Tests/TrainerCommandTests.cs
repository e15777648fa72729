namespace WsssOnnx.Cli.Tests;

/// <summary>wsss-train as a user runs it: bad input ends with an exit code and one sentence, never a stack trace.</summary>
public sealed class TrainerCommandTests
{
    [Fact]
    public void A_missing_dataset_is_a_clear_error()
    {
        using var runFolder = new TempFolder("wsss-cli-");
        string run = runFolder.Path;
        var (code, stdout, stderr) = CliProcess.RunTrainer("train-classifier", "--data", "/nonexistent/voc", "--run", run);
        Assert.Equal(1, code);
        Assert.Contains("/nonexistent/voc", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }

    [Fact]
    public async Task Ctrl_c_in_training_exits_130_with_a_sentence_and_the_same_command_resumes()
    {
        using var workFolder = new TempFolder("wsss-cli-");
        string work = workFolder.Path;
        // A run folder long enough that the trainer's "run folder" line passes any terminal width: redirected, it stays whole.
        string data = Path.Combine(work, "data"), run = Path.Combine(work, "a-run-folder-whose-name-takes-the-line-past-eighty-columns-" + new string('x', 100));
        Assert.Equal(0, CliProcess.RunTrainer("make-dataset", "--out", data, "--train", "24", "--val", "2", "--size", "96").ExitCode);
        string[] train = ["train-classifier", "--data", data, "--run", run, "--epochs", "6", "--batch", "4", "--crop", "48", "--width", "4"];
        using (var process = CliProcess.StartTrainerWithSigint(train))
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string? line;
            while ((line = await process.StandardOutput.ReadLineAsync()) is not null && !line.StartsWith("epoch 1:", StringComparison.Ordinal)) { }
            Assert.NotNull(line);
            Assert.Equal(0, CliProcess.Kill(process.Id, CliProcess.Sigint));
            _ = process.StandardOutput.ReadToEndAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await process.WaitForExitAsync(limit.Token);
            Assert.Equal(130, process.ExitCode);
            string said = await stderr;
            Assert.Contains("interrupted", said);
            Assert.Contains("run the same command again", said);
            Assert.DoesNotContain("   at ", said);
        }
        Assert.True(File.Exists(Path.Combine(run, "checkpoint.onnx")), "the first epoch's checkpoint is kept");
        var (code, stdout, stderr2) = CliProcess.RunTrainer(train);
        Assert.True(code == 0, stdout + stderr2);
        Assert.Contains("resumed from", stdout);
        Assert.Contains($"run folder {run}" + Environment.NewLine, stdout);
        Assert.Contains("epoch 6:", stdout);
        Assert.DoesNotContain("epoch 1:", stdout);
    }

    [Fact]
    public void Resuming_with_other_settings_is_refused_unless_extended_or_restarted()
    {
        using var workFolder = new TempFolder("wsss-cli-");
        string work = workFolder.Path;
        string data = Path.Combine(work, "data"), run = Path.Combine(work, "run");
        Assert.Equal(0, CliProcess.RunTrainer("make-dataset", "--out", data, "--train", "8", "--val", "2", "--size", "96").ExitCode);
        string[] Train(params string[] extra) =>
            ["train-classifier", "--data", data, "--run", run, "--batch", "4", "--crop", "48", "--width", "4", "--val-split", "none", .. extra];
        Assert.Equal(0, CliProcess.RunTrainer(Train("--epochs", "1")).ExitCode);
        string runJson = File.ReadAllText(Path.Combine(run, "run.json"));

        var refused = CliProcess.RunTrainer(Train("--epochs", "2"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("epochs 1 (now 2)", refused.Stderr);
        Assert.Contains("--extend", refused.Stderr);
        Assert.Equal(runJson, File.ReadAllText(Path.Combine(run, "run.json")));   // the run's record is left as it was

        refused = CliProcess.RunTrainer(Train("--epochs", "1", "--lr", "0.2"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("learning_rate", refused.Stderr);
        Assert.DoesNotContain("--extend", refused.Stderr);

        var extended = CliProcess.RunTrainer(Train("--epochs", "2", "--extend"));
        Assert.True(extended.ExitCode == 0, extended.Stdout + extended.Stderr);
        Assert.Contains("resumed from", extended.Stdout);
        Assert.Contains("epoch 2:", extended.Stdout);
        Assert.DoesNotContain("NaN", extended.Stdout);

        var restarted = CliProcess.RunTrainer(Train("--epochs", "1", "--lr", "0.2", "--restart"));
        Assert.True(restarted.ExitCode == 0, restarted.Stdout + restarted.Stderr);
        Assert.DoesNotContain("resumed from", restarted.Stdout);
        Assert.Contains("epoch 1:", restarted.Stdout);
    }

    [Fact]
    public void Out_of_range_options_name_the_field()
    {
        using var runFolder = new TempFolder("wsss-cli-");
        string run = runFolder.Path;
        var (code, _, stderr) = CliProcess.RunTrainer("make-dataset", "--out", run, "--classes", "99");
        Assert.Equal(2, code);
        Assert.Contains("Classes", stderr);
    }

    [Theory]
    [InlineData("train-classifier")]
    [InlineData("train-segmenter")]
    public void A_non_positive_head_learning_rate_multiplier_is_refused_before_the_data_is_read(string command)
    {
        string[] labels = command == "train-segmenter" ? ["--labels", "/nonexistent/labels"] : [];
        var (code, _, stderr) = CliProcess.RunTrainer([command, "--data", "/nonexistent/voc", "--run", "/nonexistent/run", .. labels, "--head-lr-multiplier", "0"]);
        Assert.Equal(2, code);
        Assert.Contains("HeadLearningRateMultiplier must be a positive number", stderr);
    }

    [Fact]
    public void Export_without_a_trained_run_says_so()
    {
        using var runFolder = new TempFolder("wsss-cli-");
        string run = runFolder.Path;
        var (code, _, stderr) = CliProcess.RunTrainer("export", "--classifier-run", run, "--version", "1", "--models", run);
        Assert.Equal(1, code);
        Assert.Contains("run.json is missing", stderr);
    }

    [Fact]
    public void A_small_dataset_is_generated_and_reported()
    {
        using var rootFolder = new TempFolder("wsss-cli-");
        string root = rootFolder.Path;
        var (code, stdout, stderr) = CliProcess.RunTrainer("make-dataset", "--out", root, "--train", "6", "--val", "2", "--size", "96", "--overwrite");
        Assert.True(code == 0, stderr);
        Assert.Contains("images: 8 (6 train, 2 val), 96x96", stdout);
        Assert.True(File.Exists(Path.Combine(root, "ImageSets", "Segmentation", "train.txt")));
    }
}
