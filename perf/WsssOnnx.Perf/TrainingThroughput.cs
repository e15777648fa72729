using System.CommandLine;
using WsssOnnx.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Runtime;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Perf;

/// <summary>
/// `wsss-perf training`: classifier training throughput (images per second) with the real loop: augmentation in the
/// background, the training graph on ORT, SGD. Images are generated in memory, so disk and JPEG decoding are excluded.
/// </summary>
internal static class TrainingThroughput
{
    private sealed record Preset(string Name, int Depth, int Width, int Crop, int Batch, int Steps);

    private static readonly Preset[] Presets =
    [
        new("default", Depth: 18, Width: 16, Crop: 128, Batch: 16, Steps: 20),
        new("resnet50", Depth: 50, Width: 64, Crop: 224, Batch: 8, Steps: 4),
    ];

    public static Command Create()
    {
        var preset = new Option<string>("--preset")
        {
            Description = "default (the bundled network: ResNet-18 width 16, 128 crops, batch 16), resnet50 (224 crops, batch 8) or all",
            DefaultValueFactory = _ => "all",
        };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 0 };
        var command = new Command("training", "Measure classifier training images per second") { preset, threads };
        command.SetAction(r =>
        {
            string name = r.GetValue(preset)!;
            var chosen = PresetChoice.Select(Presets, p => p.Name, name);
            var table = new Table().AddColumns("network", "crop", "batch", "steps", "images/s", "ms/step");
            foreach (var p in chosen)
            {
                var (rate, msPerStep) = Measure(p, r.GetValue(threads));
                table.AddRow($"ResNet-{p.Depth} width {p.Width}", $"{p.Crop}", $"{p.Batch}", $"{p.Steps}", $"{rate:F1}", $"{msPerStep:F0}");
            }
            AnsiConsole.MarkupLine($"ONNX Runtime {OrtRuntime.Version}, {Environment.ProcessorCount} cores");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static (double ImagesPerSecond, double MsPerStep) Measure(Preset p, int threads)
    {
        var options = new ClassifierTrainingOptions
        {
            Network = new CamClassifierOptions
            {
                Backbone = new ResNetOptions { Depth = p.Depth, Width = p.Width, TrainableStages = ResNetStages.All, BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Training } },
            },
            Augmentation = new Augmentation { CropSize = p.Crop, LongSide = (p.Crop, p.Crop * 5 / 4) },
            Sgd = ClassifierTrainingOptions.DefaultSgd with { Epochs = 1, BatchSize = p.Batch, Threads = threads },
        };
        string run = Directory.CreateTempSubdirectory("wsss-bench-").FullName;
        try
        {
            // One warm-up step (session creation, first allocations), then the timed run.
            new ClassifierTrainer(options, new NoiseSource(p.Batch, p.Crop), null, run).Train(resume: false);
            var watch = Stopwatch.StartNew();
            new ClassifierTrainer(options, new NoiseSource(p.Batch * p.Steps, p.Crop), null, run).Train(resume: false);
            double seconds = watch.Elapsed.TotalSeconds;
            return (p.Batch * p.Steps / seconds, seconds * 1000 / p.Steps);
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    /// <summary>Random images with random labels, made in memory.</summary>
    private sealed class NoiseSource(int count, int size) : ITrainingSource
    {
        public IReadOnlyList<string> Classes { get; } = [.. Enumerable.Range(0, 20).Select(i => $"class{i}")];

        public int Count => count;

        public string IdOf(int index) => $"noise_{index}";

        public TrainingSample Load(int index, bool withMask = false)
        {
            var rng = new Random(index);
            var image = new RgbImage(size, size);
            rng.NextBytes(image.Pixels);
            var labels = new float[Classes.Count];
            labels[rng.Next(labels.Length)] = 1;
            return new TrainingSample(IdOf(index), image, labels, null);
        }
    }
}
