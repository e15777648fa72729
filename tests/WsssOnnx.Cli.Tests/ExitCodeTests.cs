namespace WsssOnnx.Cli.Tests;

/// <summary>
/// wsss and wsss-train share their exit codes: a bad option value is 2, bad data or a missing file is 1, each with one
/// sentence; only an internal error (70, a bug) prints a stack trace.
/// </summary>
public sealed class ExitCodeTests
{
    private const string Wsss = "wsss", Trainer = "wsss-train";

    private static (int ExitCode, string Stdout, string Stderr) Run(string tool, string[] args) =>
        tool == Wsss ? CliProcess.Run(CliProcess.BuildDirectory, args) : CliProcess.RunTrainer(args);

    /// <summary>A stack trace ("   at " frames) is printed for an internal error and for nothing else.</summary>
    private static void AssertStackTraceOnlyForABug((int ExitCode, string Stdout, string Stderr) run)
    {
        if (run.ExitCode == 70) Assert.Contains("   at ", run.Stderr);
        else Assert.DoesNotContain("   at ", run.Stdout + run.Stderr);
    }

    [Theory]
    [InlineData(Wsss, "--repeats must be in [1, 1000]; got 0.", "bench", "--repeats", "0")]
    [InlineData(Wsss, "--port must be in [0, 65535]; got 70000.", "serve", "--models", "/nonexistent/models", "--port", "70000")]
    [InlineData(Wsss, "give either --labels", "eval", "--data", "/nonexistent/voc", "--split", "val")]
    [InlineData(Wsss, "--no-such-option", "eval", "--no-such-option")]
    [InlineData(Trainer, "BatchSize must be between 1 and 4096; got 0", "train-classifier", "--data", "/nonexistent/voc", "--run", "/nonexistent/run", "--batch", "0")]
    [InlineData(Trainer, "--threshold-images must be 0 or more; got -1.", "export", "--classifier-run", "/nonexistent/run", "--version", "1", "--threshold-images", "-1")]
    [InlineData(Trainer, "package version 'a/b' must be a plain folder name", "export", "--classifier-run", "/nonexistent/run", "--version", "a/b")]
    [InlineData(Trainer, "many", "train-classifier", "--data", "/nonexistent/voc", "--run", "/nonexistent/run", "--epochs", "many")]
    public void A_bad_option_value_is_exit_2_and_a_sentence(string tool, string expected, params string[] args)
    {
        var run = Run(tool, args);
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}: {run.Stdout}{run.Stderr}");
        Assert.Contains(expected, run.Stderr);
        AssertStackTraceOnlyForABug(run);
    }

    [Theory]
    [InlineData(Wsss, "/nonexistent/voc", "eval", "--labels", "/nonexistent/labels", "--data", "/nonexistent/voc", "--split", "val")]
    [InlineData(Wsss, "/nonexistent/pkg", "info", "--package", "/nonexistent/pkg")]
    [InlineData(Trainer, "/nonexistent/pkg", "make-seeds", "--package", "/nonexistent/pkg", "--data", "/nonexistent/voc", "--out", "/nonexistent/out")]
    [InlineData(Trainer, "/nonexistent/voc", "train-segmenter", "--data", "/nonexistent/voc", "--labels", "/nonexistent/labels", "--run", "/nonexistent/run")]
    [InlineData(Trainer, "run.json", "export", "--classifier-run", "/nonexistent/run", "--version", "1")]
    public void Missing_data_is_exit_1_and_a_sentence(string tool, string expected, params string[] args)
    {
        var run = Run(tool, args);
        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {run.Stdout}{run.Stderr}");
        Assert.Contains(expected, run.Stderr);
        Assert.StartsWith(tool + ": ", run.Stderr);
        AssertStackTraceOnlyForABug(run);
    }

    [Fact]
    public void A_batch_larger_than_the_training_list_is_a_usage_error_and_a_diverging_run_says_to_lower_the_learning_rate()
    {
        using var workFolder = new TempFolder("wsss-cli-");
        string work = workFolder.Path;
        string data = Path.Combine(work, "data");
        Assert.Equal(0, CliProcess.RunTrainer("make-dataset", "--out", data, "--train", "8", "--val", "2", "--size", "96").ExitCode);
        string[] Train(string run, params string[] extra) =>
            ["train-classifier", "--data", data, "--run", Path.Combine(work, run), "--crop", "48", "--width", "4", "--val-split", "none", "--epochs", "2", .. extra];

        var tooBig = CliProcess.RunTrainer(Train("big", "--batch", "16"));
        Assert.True(tooBig.ExitCode == 2, $"exit {tooBig.ExitCode}: {tooBig.Stdout}{tooBig.Stderr}");
        Assert.Contains("--batch 16 is more than the 8 images", tooBig.Stderr);
        AssertStackTraceOnlyForABug(tooBig);

        // A step of 1e30 times the gradient sends the weights past float range: the next loss is NaN or infinite.
        var diverged = CliProcess.RunTrainer(Train("diverged", "--batch", "4", "--lr", "1e30"));
        Assert.True(diverged.ExitCode == 1, $"exit {diverged.ExitCode}: {diverged.Stdout}{diverged.Stderr}");
        Assert.Contains("diverged; lower the learning rate (--lr)", diverged.Stderr);
        AssertStackTraceOnlyForABug(diverged);
    }
}
