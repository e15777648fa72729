using System.CommandLine;
using WsssOnnx.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Climbing;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Graph.Training;
using WsssOnnx.Packages;
using WsssOnnx.Packages.Onnx;
using WsssOnnx.Runtime;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Perf;

/// <summary>
/// `wsss-perf autodiff`: times the CAM classifier's forward pass, one AdvCAM climbing step (forward + dL/dx) and
/// one training step's graph (forward + dL/dθ) on ONNX Runtime, and counts each graph's FLOPs.
/// </summary>
internal static class AutodiffTimings
{
    /// <summary>A network to measure: ResNet depth and width, square input size, batch (2 = one climbing pair).</summary>
    internal sealed record Preset(string Name, int Depth, int Width, int Size, int Classes, int Repeats);

    private static readonly Preset[] Presets =
    [
        new("resnet50", Depth: 50, Width: 64, Size: 224, Classes: 20, Repeats: 5),
        new("small", Depth: 18, Width: 16, Size: 128, Classes: 20, Repeats: 20),
    ];

    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "resnet50 (ResNet-50 at 224x224), small (ResNet-18 width 16 at 128x128) or all", DefaultValueFactory = _ => "all" };
        var threads = new Option<int>("--threads") { Description = "ORT intra-op threads (0 = one per core)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var repeats = new Option<int?>("--repeats") { Description = "Timed runs per graph (default: 5 for resnet50, 20 for small)" };
        var command = new Command("autodiff", "Time forward, forward+input-gradient (AdvCAM step) and forward+parameter-gradient graphs; print ratios and FLOPs") { preset, threads, repeats };
        command.SetAction(r => Run(r.GetValue(preset)!, r.GetValue(threads), r.GetValue(repeats)));
        return command;
    }

    private static int Run(string presetName, int threads, int? repeats)
    {
        var chosen = PresetChoice.Select(Presets, p => p.Name, presetName);
        AnsiConsole.MarkupLine($"ONNX Runtime {OrtRuntime.Version}, {threads} intra-op threads, {Environment.ProcessorCount} cores; batch of 2 (one image and its flip)");
        foreach (var preset in chosen)
        {
            var p = repeats is { } n ? preset with { Repeats = n } : preset;
            Print(p, Measure(p, threads));
        }
        return 0;
    }

    internal sealed record Timing(string Graph, double MedianMs, double MinMs, long? Flops);

    internal static Timing[] Measure(Preset p, int threads)
    {
        var config = new SessionConfig { IntraOpThreads = threads, WarmUp = false };
        var rng = new Random(1);
        var image = HostTensor<float>.Zeros(2, 3, p.Size, p.Size);
        for (int i = 0; i < image.Data.Length; i++) image.Data[i] = (float)(rng.NextDouble() * 4 - 2);
        var classifierOptions = new CamClassifierOptions
        {
            Classes = p.Classes,
            Backbone = new ResNetOptions { Depth = p.Depth, Width = p.Width, TrainableStages = ResNetStages.All },
        };

        // Forward: logits and class maps.
        var forward = new GraphBuilder("forward");
        var fx = forward.Input("image", DataType.Float, [2, 3, p.Size, p.Size]);
        var net = CamClassifier.Build(forward, fx, classifierOptions);
        forward.Output(net.Logits, "logits");
        forward.Output(net.ClassMaps, "class_maps");
        var forwardTiming = Time("forward", forward, config, p.Repeats, () => [SessionInput.Create("image", image)]);
        long mapSize = net.ClassMaps.Shape[2];

        // Climbing step: forward + dL/dx (+ the step update) for one pair; batch norm folded into the convolutions.
        var climbOptions = classifierOptions with { Backbone = classifierOptions.Backbone with { BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Folded } } };
        var climb = new GraphBuilder("climb");
        AdvCamGraph.Build(climb, (g, x) =>
        {
            var c = CamClassifier.Build(g, x, climbOptions);
            return (c.Features, c.Classifier);
        }, p.Classes, pairs: 1, imageSize: (p.Size, p.Size));
        var a0 = HostTensor<float>.Zeros(1, mapSize, mapSize);
        var climbTiming = Time("forward + input gradient (AdvCAM step)", climb, config, p.Repeats, () =>
        [
            SessionInput.Create(ClimberContract.Image, image),
            SessionInput.Create(ClimberContract.TargetClass, [0L], [1]),
            SessionInput.Create(ClimberContract.InitialMap, a0),
            SessionInput.Create(ClimberContract.MaskWeight, [7f], []),
            SessionInput.Create(ClimberContract.MaskThreshold, [0.5f], []),
            SessionInput.Create(ClimberContract.StepSize, [0.08f], []),
        ]);

        // Training step graph: multi-label soft margin loss and the gradient of every parameter.
        var train = new GraphBuilder("train");
        var tx = train.Input("image", DataType.Float, [2, 3, p.Size, p.Size]);
        var labels = train.Input("labels", DataType.Float, [2, p.Classes]);
        var tnet = CamClassifier.Build(train, tx, classifierOptions);
        TrainingGraph.Append(train, Losses.MultiLabelSoftMargin(train, tnet.Logits, labels), tnet.RunningStatUpdates);
        var parameters = train.Parameters.ToDictionary(q => q.Name, q => train.ParameterValue(q.Name));
        var targets = HostTensor<float>.Zeros(2, p.Classes);
        targets.Data[0] = 1;
        var trainTiming = Time("forward + parameter gradients", train, config, p.Repeats, () =>
            [SessionInput.Create("image", image), SessionInput.Create("labels", targets), .. parameters.Select(kv => SessionInput.Create(kv.Key, kv.Value))],
            parametersAsInputs: true);

        return [forwardTiming, climbTiming, trainTiming];
    }

    private static Timing Time(string label, GraphBuilder g, SessionConfig config, int repeats, Func<List<SessionInput>> inputs, bool parametersAsInputs = false)
    {
        // Matrix products only (GraphFlops' convention); null when one of them has a run-time shape.
        var (counted, uncounted) = GraphFlops.Count(g.ToModel(parametersAsInputs: parametersAsInputs), new Dictionary<string, long[]>());
        long? flops = uncounted > 0 ? null : counted;
        using var session = ModelSession.Load(g.ToBytes(parametersAsInputs), g.Name, config);
        var feeds = inputs();
        try
        {
            var times = new List<double>();
            for (int i = 0; i < repeats + 2; i++)
            {
                var watch = Stopwatch.StartNew();
                using (session.Run(feeds)) { }
                if (i >= 2) times.Add(watch.Elapsed.TotalMilliseconds); // two warm-up runs
            }
            times.Sort();
            return new Timing(label, times[times.Count / 2], times[0], flops);
        }
        finally
        {
            foreach (var f in feeds) f.Dispose();
        }
    }

    private static void Print(Preset p, Timing[] timings)
    {
        var table = new Table().Title($"ResNet-{p.Depth}, width {p.Width}, {p.Size}x{p.Size}, batch 2, {p.Repeats} runs").AddColumns("graph", "median ms", "min ms", "x forward", "GFLOP", "GFLOP/s");
        double baseline = timings[0].MedianMs;
        foreach (var t in timings)
        {
            string gflop = t.Flops is { } f ? $"{f / 1e9:F2}" : "?";
            string rate = t.Flops is { } g ? $"{g / 1e9 / (t.MedianMs / 1000):F1}" : "?";
            table.AddRow(t.Graph, $"{t.MedianMs:F1}", $"{t.MinMs:F1}", $"{t.MedianMs / baseline:F2}", gflop, rate);
        }
        AnsiConsole.Write(table);
    }
}
