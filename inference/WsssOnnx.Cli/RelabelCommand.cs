using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using WsssOnnx.Imaging;
using WsssOnnx.Runtime;

namespace WsssOnnx.Cli;

/// <summary>
/// `wsss relabel`: pseudo-labels for every image of a VOC split from its image-level labels (Annotations XML),
/// written as &lt;id&gt;.png (VOC palette). Resumable: an existing &lt;id&gt;.png is skipped, and each file appears
/// only complete (.partial, then rename). A failing image is reported at the end and does not stop the others.
/// </summary>
internal static class RelabelCommand
{
    public static Command Create()
    {
        var package = new Option<DirectoryInfo>("--package") { Description = "A model package folder (models/<name>/<version>)", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "VOC-layout dataset root (JPEGImages, Annotations, ImageSets/Segmentation)", Required = true };
        var split = new Option<string>("--split") { Description = "Split list under ImageSets/Segmentation", DefaultValueFactory = _ => "train" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the <id>.png label maps (created if missing)", Required = true };
        var method = new Option<AttributionMethod>("--method") { Description = "cam (plain CAM) or advcam (anti-adversarial climbing)", DefaultValueFactory = _ => AttributionMethod.AdvCam };
        var steps = new Option<int?>("--steps") { Description = "AdvCAM's climbing steps T (default: the package's)" };
        var threshold = new Option<float?>("--threshold") { Description = "Seed background threshold in [0, 1] (default: the package's, 0.15)" };
        var crf = new Option<bool>("--crf") { Description = "Refine the seeds by dense CRF" };
        var stepSize = new Option<float?>("--step-size") { Description = "AdvCAM's step size xi (default: the package's, 0.08)" };
        var maskWeight = new Option<float?>("--mask-weight") { Description = "AdvCAM's restriction weight lambda (default: the package's, 7)" };
        var sweep = new Option<float[]>("--thresholds")
        {
            Description = "Several background thresholds from one set of maps: seeds go to <out>/<threshold>/<id>.png, and with --crf the refined labels to <out>/<threshold>+crf/ (e.g. --thresholds 0.1 0.15 0.2)",
            AllowMultipleArgumentsPerToken = true,
        };
        var parallel = new Option<int>("--parallel") { Description = "Images labelled at once (they share the ONNX Runtime sessions)", DefaultValueFactory = _ => 2 };
        var command = new Command("relabel", "Pseudo-label maps for every image of a dataset split from its image-level labels")
        {
            package, data, split, output, method, steps, threshold, crf, stepSize, maskWeight, sweep, parallel,
        };
        command.SetAction(result => Run(result.GetValue(package)!, result.GetValue(data)!, result.GetValue(split)!, result.GetValue(output)!,
            result.GetValue(method), result.GetValue(steps), result.GetValue(threshold), result.GetValue(crf), result.GetValue(parallel),
            result.GetValue(stepSize), result.GetValue(maskWeight), result.GetValue(sweep) ?? []));
        return command;
    }

    private static int Run(DirectoryInfo packageDirectory, DirectoryInfo data, string splitName, DirectoryInfo output, AttributionMethod method,
        int? steps, float? threshold, bool crf, int parallel, float? stepSize, float? maskWeight, float[] sweep)
    {
        if (parallel is < 1 or > 256) throw new CommandFailedException($"--parallel must be in [1, 256]; got {parallel}.");
        if (sweep.Length > 0 && threshold is not null) throw new CommandFailedException("give --threshold or --thresholds, not both.");
        foreach (float t in sweep)
            if (!(t is >= 0f and <= 1f)) throw new CommandFailedException($"--thresholds must be in [0, 1]; got {t}.");
        var split = VocSplit.Open(data.FullName, splitName);
        using var attribution = PackageAttribution.Open(packageDirectory.FullName, method, steps, threshold, crf, stepSize, maskWeight);
        // Without a sweep the labels go straight into --out; a sweep writes a folder per threshold (seeds, and CRF labels
        // beside them when asked), so one climb per image serves the whole table.
        var outputs = sweep.Length == 0
            ? [new LabelOutput(output.FullName, attribution.BackgroundThreshold, crf)]
            : sweep.SelectMany(t => SweepOutputs(output.FullName, t, crf)).ToArray();
        string[] folders = [.. outputs.Select(o => o.Folder)];
        foreach (string folder in folders) Directory.CreateDirectory(folder);

        var todo = split.Ids.Where(id => folders.Any(f => !File.Exists(OutputPath(f, id)))).ToList();
        int skipped = split.Ids.Count - todo.Count;
        var failures = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        int written = 0;
        var clock = Stopwatch.StartNew();

        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask($"relabel {split.Split}", maxValue: Math.Max(1, todo.Count));
                Parallel.ForEach(todo, new ParallelOptions { MaxDegreeOfParallelism = parallel }, id =>
                {
                    try
                    {
                        Label(attribution, split, id, outputs);
                        Interlocked.Increment(ref written);
                    }
                    catch (Exception e) when (e is CommandFailedException or InvalidDataException or IOException or UnauthorizedAccessException)
                    {
                        failures[id] = e.Message;
                    }
                    task.Increment(1);
                });
                if (todo.Count == 0) task.Increment(1);
            });

        Console.WriteLine($"{split.Split}: {split.Ids.Count} images, {written} written, {skipped} already done (skipped), {failures.Count} failed, " +
            $"in {clock.Elapsed.TotalSeconds:F1} s -> {output.FullName}");
        if (failures.IsEmpty) return ExitCodes.Ok;
        Console.Error.WriteLine($"wsss relabel: {failures.Count} of {split.Ids.Count} images failed:");
        foreach (var (id, message) in failures.OrderBy(f => f.Key, StringComparer.Ordinal)) Console.Error.WriteLine($"  {id}: {message}");
        return ExitCodes.Failed;
    }

    private static string OutputPath(string directory, string id) => Path.Combine(directory, id + ".png");

    private sealed record LabelOutput(string Folder, float Threshold, bool Crf);

    private static IEnumerable<LabelOutput> SweepOutputs(string root, float threshold, bool crf)
    {
        string name = threshold.ToString("0.00", CultureInfo.InvariantCulture);
        yield return new LabelOutput(Path.Combine(root, name), threshold, false);
        if (crf) yield return new LabelOutput(Path.Combine(root, name + "+crf"), threshold, true);
    }

    private static void Label(PackageAttribution attribution, VocSplit split, string id, IReadOnlyList<LabelOutput> outputs)
    {
        var classes = attribution.ResolveClasses(split.ObjectNames(id));
        var image = attribution.ReadImage(split.ImagePath(id));
        var maps = attribution.Maps(image, classes);
        foreach (var output in outputs)
        {
            var seeds = PackageAttribution.Seeds(maps, output.Threshold);
            AtomicFile.WriteAllBytes(OutputPath(output.Folder, id), PngEncoder.EncodeVocLabels(output.Crf ? attribution.Refine(image, seeds) : seeds));
        }
    }
}
