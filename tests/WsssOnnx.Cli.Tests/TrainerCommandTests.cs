namespace WsssOnnx.Cli.Tests;

/// <summary>wsss-train as a user runs it: bad input ends with an exit code and one sentence, never a stack trace.</summary>
public sealed class TrainerCommandTests
{
    [Fact]
    public void A_missing_dataset_is_a_clear_error()
    {
        string run = Directory.CreateTempSubdirectory("wsss-cli-").FullName;
        try
        {
            var (code, stdout, stderr) = CliProcess.RunTrainer("train-classifier", "--data", "/nonexistent/voc", "--run", run);
            Assert.Equal(1, code);
            Assert.Contains("/nonexistent/voc", stderr);
            Assert.DoesNotContain("   at ", stderr + stdout);
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [Fact]
    public void Out_of_range_options_name_the_field()
    {
        string run = Directory.CreateTempSubdirectory("wsss-cli-").FullName;
        try
        {
            var (code, _, stderr) = CliProcess.RunTrainer("make-dataset", "--out", run, "--classes", "99");
            Assert.Equal(2, code);
            Assert.Contains("Classes", stderr);
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
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
        string run = Directory.CreateTempSubdirectory("wsss-cli-").FullName;
        try
        {
            var (code, _, stderr) = CliProcess.RunTrainer("export", "--classifier-run", run, "--version", "1", "--models", run);
            Assert.Equal(1, code);
            Assert.Contains("run.json is missing", stderr);
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    [Fact]
    public void A_small_dataset_is_generated_and_reported()
    {
        string root = Directory.CreateTempSubdirectory("wsss-cli-").FullName;
        try
        {
            var (code, stdout, stderr) = CliProcess.RunTrainer("make-dataset", "--out", root, "--train", "6", "--val", "2", "--size", "96", "--overwrite");
            Assert.True(code == 0, stderr);
            Assert.Contains("images: 8 (6 train, 2 val), 96x96", stdout);
            Assert.True(File.Exists(Path.Combine(root, "ImageSets", "Segmentation", "train.txt")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
