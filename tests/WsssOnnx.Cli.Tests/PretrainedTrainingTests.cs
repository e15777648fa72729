using System.Text.Json;

namespace WsssOnnx.Cli.Tests;

/// <summary>--pretrained imagenet on both trainers: the ImageNet weights load into the network, the run records them, and conflicting options are refused.</summary>
public sealed class PretrainedTrainingTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    [Theory]
    [InlineData("train-classifier", "--depth", "34")]
    [InlineData("train-segmenter", "--width", "16")]
    public void A_shape_other_than_the_imagenet_networks_is_refused_before_the_data_is_read(string command, string option, string value)
    {
        string[] labels = command == "train-segmenter" ? ["--labels", "/nonexistent/labels"] : [];
        var (code, _, stderr) = CliProcess.RunTrainer([command, "--data", "/nonexistent/voc", "--run", "/nonexistent/run", .. labels, "--pretrained", "imagenet", option, value]);
        Assert.Equal(2, code);
        Assert.Contains("ResNet-18 of width 64", stderr);
    }

    [Fact]
    public void Pretrained_and_init_from_together_are_refused()
    {
        var (code, _, stderr) = CliProcess.RunTrainer("train-classifier", "--data", "/nonexistent/voc", "--run", "/nonexistent/run", "--pretrained", "imagenet", "--init-from", "/nonexistent/w.onnx");
        Assert.Equal(2, code);
        Assert.Contains("give one", stderr);
    }

    [Fact]
    public void An_unknown_pretrained_name_is_refused()
    {
        var (code, _, stderr) = CliProcess.RunTrainer("train-classifier", "--data", data.Root, "--run", "/nonexistent/run", "--pretrained", "resnet50");
        Assert.NotEqual(0, code);
        Assert.Contains("imagenet", stderr);
    }

    [Fact]
    public void Classifier_and_segmenter_start_from_the_imagenet_weights_and_record_it()
    {
        using var runsFolder = new TempFolder("wsss-cli-pretrained-");
        string runs = runsFolder.Path;
        string classifier = Path.Combine(runs, "classifier");
        var (code, stdout, stderr) = CliProcess.RunTrainer("train-classifier", "--data", data.Root, "--run", classifier, "--pretrained", "imagenet",
            "--epochs", "1", "--batch", "2", "--crop", "64", "--val-split", "none");
        Assert.True(code == 0, stdout + stderr);
        // 110 backbone tensors (conv, BN weight/bias/statistics) of 111 parameters: only the new head starts fresh.
        Assert.Contains("initialised 110 of 111 parameters", stdout);
        var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(classifier, "run.json"))).RootElement;
        Assert.StartsWith("imagenet:", run.GetProperty("init").GetString());
        var backbone = run.GetProperty("classifier").GetProperty("backbone");
        Assert.Equal(64, backbone.GetProperty("width").GetInt32());
        Assert.Equal(3, backbone.GetProperty("layer4_blocks").GetInt32());
        Assert.Equal("Frozen", backbone.GetProperty("batch_norm").GetProperty("mode").GetString());
        Assert.Equal("Layer3, Layer4", backbone.GetProperty("trainable_stages").GetString());
        Assert.Equal(1, run.GetProperty("epochs").GetInt32()); // given, so not the recipe's 5
        Assert.Equal(0.01, run.GetProperty("learning_rate").GetDouble(), 6); // not given: the recipe's
        Assert.Equal(0.035f, run.GetProperty("fgsm").GetProperty("epsilon").GetSingle()); // the recipe's FGSM training
        Assert.Equal(0.5f, run.GetProperty("fgsm").GetProperty("clean_weight").GetSingle());
        Assert.Contains("adversarial_classification_loss", File.ReadLines(Path.Combine(classifier, "metrics.csv")).First());

        string labels = Path.Combine(runs, "labels");
        Directory.CreateDirectory(labels);
        foreach (string id in data.Ids("train"))
            File.Copy(Path.Combine(data.Root, "SegmentationClass", id + ".png"), Path.Combine(labels, id + ".png"));
        string segmenter = Path.Combine(runs, "segmenter");
        (code, stdout, stderr) = CliProcess.RunTrainer("train-segmenter", "--data", data.Root, "--labels", labels, "--run", segmenter, "--pretrained", "imagenet",
            "--epochs", "1", "--batch", "2", "--crop", "64", "--val-split", "none");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("initialised 110 of", stdout);
        var seg = JsonDocument.Parse(File.ReadAllText(Path.Combine(segmenter, "run.json"))).RootElement;
        Assert.StartsWith("imagenet:", seg.GetProperty("init").GetString());
        Assert.Contains("--pretrained imagenet", seg.GetProperty("command").GetString());
    }
}
