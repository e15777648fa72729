using System.CommandLine;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Training.Data;

namespace WsssOnnx.Trainer;

/// <summary>The command-line options train-classifier and train-segmenter share, with each command's defaults.</summary>
internal sealed class TrainingRunOptions
{
    public TrainingRunOptions(int epochs, int batch, float learningRate, float headLearningRateMultiplier, string validationPurpose)
    {
        HeadLearningRateMultiplier = new Option<float>("--head-lr-multiplier") { Description = "The head's learning rate over the backbone's", DefaultValueFactory = _ => headLearningRateMultiplier };
        Epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => epochs };
        Batch = new Option<int>("--batch") { DefaultValueFactory = _ => batch };
        LearningRate = new Option<float>("--lr") { Description = "Backbone learning rate at step 0 (the head gets --head-lr-multiplier times it; poly decay)", DefaultValueFactory = _ => learningRate };
        ValidationSplit = new Option<string?>("--val-split") { Description = $"Validation list for {validationPurpose} after each epoch (none: skip)", DefaultValueFactory = _ => "val" };
    }

    public Option<DirectoryInfo> Data { get; } = new("--data") { Description = "VOC-layout dataset root (JPEGImages, Annotations, ImageSets/Segmentation)", Required = true };

    public Option<DirectoryInfo> Run { get; } = new("--run") { Description = "Run folder: checkpoint.onnx, run.json, metrics.csv/jsonl (resumed if it holds a checkpoint)", Required = true };

    public Option<string> Split { get; } = new("--split") { Description = "Training list (ImageSets/Segmentation/<split>.txt) or a list file path", DefaultValueFactory = _ => "train" };

    public Option<string?> ValidationSplit { get; }

    public Option<int> Epochs { get; }

    public Option<int> Batch { get; }

    public Option<float> LearningRate { get; }

    public Option<float> HeadLearningRateMultiplier { get; }

    public Option<int> Crop { get; } = new("--crop") { Description = "Square training crop size", DefaultValueFactory = _ => 128 };

    public Option<int> Depth { get; } = new("--depth") { Description = "ResNet depth: 18, 34, 50, 101", DefaultValueFactory = _ => 18 };

    public Option<int> Width { get; } = new("--width") { Description = "ResNet base width (64 = the standard networks)", DefaultValueFactory = _ => 16 };

    public Option<int> Seed { get; } = new("--seed") { DefaultValueFactory = _ => 0 };

    public Option<int> Threads { get; } = new("--threads") { Description = "ORT threads (0: one per core)", DefaultValueFactory = _ => 0 };

    public Option<bool> StopOnBadSample { get; } = new("--stop-on-bad-sample") { Description = "Stop at the first unreadable sample instead of skipping it" };

    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Data, Run, Split, ValidationSplit, Epochs, Batch, LearningRate, HeadLearningRateMultiplier, Crop, Depth, Width, Seed, Threads, StopOnBadSample })
            command.Options.Add(o);
    }

    public BadSamplePolicy Policy(ParseResult r) => r.GetValue(StopOnBadSample) ? BadSamplePolicy.Stop : BadSamplePolicy.Skip;

    public VocDataset TrainingSet(ParseResult r) => TrainClassifierCommand.OpenDataset(r.GetValue(Data)!.FullName, r.GetValue(Split)!, Policy(r));

    public VocDataset? ValidationSet(ParseResult r)
    {
        var name = r.GetValue(ValidationSplit);
        return string.IsNullOrEmpty(name) || name == "none" ? null : TrainClassifierCommand.OpenDataset(r.GetValue(Data)!.FullName, name, Policy(r));
    }

    /// <summary>The backbone these options describe, trained from scratch: every stage trainable, batch statistics.</summary>
    public ResNetOptions Backbone(ParseResult r, ResNetLayout layout) => new()
    {
        Depth = r.GetValue(Depth),
        Width = r.GetValue(Width),
        Seed = r.GetValue(Seed),
        Layout = layout,
        TrainableStages = ResNetStages.All,
        BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Training },
    };

    /// <summary>IRN-style random long-side range around the crop: 0.75x to 1.375x.</summary>
    public static (int Min, int Max) LongSide(int crop) => ((int)(crop * 0.75), (int)(crop * 1.375));
}
