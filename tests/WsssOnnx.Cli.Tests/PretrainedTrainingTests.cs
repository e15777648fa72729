using System.Text.Json;
using WsssOnnx.Graph;
using WsssOnnx.Training.Pretrained;

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

    [Theory]
    [InlineData("layer5")]
    [InlineData("layer3,,layer4")]
    [InlineData("8")]
    public void A_trainable_stage_that_is_not_a_stage_is_refused_with_the_names_that_are(string stages)
    {
        var (code, _, stderr) = CliProcess.RunTrainer("train-classifier", "--data", "/nonexistent/voc", "--run", "/nonexistent/run", "--pretrained", "imagenet",
            "--trainable-stages", stages);
        Assert.Equal(2, code);
        Assert.Contains("is not a stage; give stem, layer1, layer2, layer3, layer4", stderr);
    }

    [Fact]
    public void Train_irn_refuses_trainable_stages_as_its_backbone_stays_frozen()
    {
        var (code, _, stderr) = CliProcess.RunTrainer("train-irn", "--data", "/nonexistent/voc", "--labels", "/nonexistent/labels", "--run", "/nonexistent/run", "--pretrained", "imagenet",
            "--trainable-stages", "layer4");
        Assert.Equal(2, code);
        Assert.Contains("keeps the backbone frozen", stderr);

        var (helpCode, help, _) = CliProcess.RunTrainer("train-irn", "--help");
        Assert.Equal(0, helpCode);
        Assert.Contains("--labels", help);
        Assert.DoesNotContain("--trainable-stages", help);
    }

    /// <summary>For the stem, layer1 .. layer4 in that order: whether all its weights in a run's checkpoint still equal the imported ImageNet ones.</summary>
    private static bool[] StagesLeftAtImageNet(string run)
    {
        var imagenet = ModelFile.FloatInitializers(ModelFile.Read(ImageNetBackbone.CachedPath));
        var trained = ModelFile.FloatInitializers(ModelFile.Read(Path.Combine(run, "checkpoint.onnx")));
        string[] stages = ["conv1.", "layer1.", "layer2.", "layer3.", "layer4."];
        return [.. stages.Select(stage =>
        {
            var weights = imagenet.Keys.Where(k => k.StartsWith(stage, StringComparison.Ordinal) && k.EndsWith(".weight", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(weights);
            return weights.All(k => trained[k].Data.AsSpan().SequenceEqual(imagenet[k].Data));
        })];
    }

    [Fact]
    public void Trainable_stages_choose_which_imagenet_stages_the_classifier_trains()
    {
        using var runFolder = new TempFolder("wsss-cli-stages-");
        string run = Path.Combine(runFolder.Path, "classifier");
        var (code, stdout, stderr) = CliProcess.RunTrainer("train-classifier", "--data", data.Root, "--run", run, "--pretrained", "imagenet",
            "--trainable-stages", "Stem, layer2", "--epochs", "1", "--batch", "2", "--crop", "64", "--val-split", "none", "--fgsm-epsilon", "0");
        Assert.True(code == 0, stdout + stderr);
        var backbone = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json"))).RootElement.GetProperty("classifier").GetProperty("backbone");
        Assert.Equal("Stem, Layer2", backbone.GetProperty("trainable_stages").GetString());
        Assert.Equal([false, true, false, true, true], StagesLeftAtImageNet(run));
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
        // The recipe trains layer3 and layer4 and leaves the stem, layer1 and layer2 as ImageNet made them.
        Assert.Equal([true, true, true, false, false], StagesLeftAtImageNet(classifier));

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
