using System.CommandLine;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Crf;
using WsssOnnx.Attribution.Evaluation;
using WsssOnnx.Datasets;
using WsssOnnx.Imaging;

namespace WsssOnnx.Cli;

/// <summary>
/// `wsss eval`: mIoU of label maps (&lt;id&gt;.png, palette or grey indices) against a VOC split's SegmentationClass
/// ground truth, from one confusion matrix over all images (255 ignored). Missing predictions are counted, not scored.
/// With --maps instead of --labels: class maps saved by `wsss relabel --save-maps`, turned into seeds at every
/// threshold of --thresholds (one confusion matrix each), so a threshold sweep needs no network run; with --crf each
/// threshold's seeds are also refined by dense CRF over the image (ADVCAM.md's settings) and scored beside them; with
/// --baseline-maps, the foreground these seeds add over another method's (AdvCAM over CAM) is broken down by what the
/// ground truth says there (<see cref="AddedForeground"/>).
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var labels = new Option<DirectoryInfo?>("--labels") { Description = "Folder of predicted <id>.png label maps" };
        var maps = new Option<DirectoryInfo?>("--maps") { Description = "Folder of <id>.maps class maps (wsss relabel --save-maps): sweep seed thresholds instead" };
        var thresholds = new Option<string?>("--thresholds")
        {
            Description = "With --maps: start:stop:step or a comma list of background thresholds " +
                          FormattableString.Invariant($"(default: export's grid, {SeedThresholdGrid.Default.Count} from {SeedThresholdGrid.Default[0]} to {SeedThresholdGrid.Default[^1]}, ") +
                          "so that each method is scored at its own best)",
        };
        var crf = new Option<bool>("--crf") { Description = "With --maps: also refine each threshold's seeds by dense CRF over the image and score them" };
        var baselineMaps = new Option<DirectoryInfo?>("--baseline-maps")
        {
            Description = "With --maps: saved maps of a baseline (e.g. CAM's); break down the foreground --maps' seeds add over its seeds",
        };
        var baselineThreshold = new Option<float?>("--baseline-threshold") { Description = "With --baseline-maps: the baseline's seed threshold (default: each row's threshold)" };
        var data = new Option<DirectoryInfo>("--data") { Description = VocLayout.RootHelp, Required = true };
        var split = SplitOption.Create("The split to score (truth: a list line's mask, else SegmentationClass/<id>.png)", "val");
        var command = new Command("eval", "Confusion-matrix mIoU of label maps against a dataset split's ground truth, or of saved class maps over a threshold sweep")
        {
            labels, maps, thresholds, crf, baselineMaps, baselineThreshold, data, split,
        };
        command.SetAction(result =>
        {
            var (l, m) = (result.GetValue(labels), result.GetValue(maps));
            if ((l is null) == (m is null)) throw new UsageException("give either --labels (label PNGs) or --maps (saved class maps), not both or neither.");
            if (l is not null && result.GetValue(crf)) throw new UsageException("--crf refines seeds made from saved maps; it needs --maps.");
            if (l is not null && result.GetValue(baselineMaps) is not null) throw new UsageException("--baseline-maps compares seeds made from saved maps; it needs --maps.");
            if (result.GetValue(baselineThreshold) is { } bt && !(bt is >= 0f and <= 1f)) throw new UsageException($"--baseline-threshold must be in [0, 1]; got {bt}.");
            if (l is not null) return Run(l, result.GetValue(data)!, result.GetValue(split)!);
            var sweep = result.GetValue(thresholds) is { } given ? ParseThresholds(given) : SeedThresholdGrid.Default;
            return Sweep(m!, sweep, result.GetValue(crf), result.GetValue(baselineMaps), result.GetValue(baselineThreshold), result.GetValue(data)!, result.GetValue(split)!);
        });
        return command;
    }

    private static (VocSplit Split, IReadOnlyList<string> Names) OpenSplit(DirectoryInfo data, string splitName, DirectoryInfo predictions)
    {
        var split = SplitOption.Open(data, splitName);
        if (!predictions.Exists) throw new CommandFailedException($"the folder {predictions.FullName} does not exist.");
        // Real VOC has no classes.txt: its label values are then VOC 2012's classes.
        return (split, SplitOption.Classes(split).All);
    }

    private static int Run(DirectoryInfo labels, DirectoryInfo data, string splitName)
    {
        var (split, names) = OpenSplit(data, splitName, labels);

        var matrix = new ConfusionMatrix(names.Count);
        var decoder = new ImageDecoder();
        var missing = new List<string>();
        var failures = new List<string>();
        foreach (string id in split.Ids)
        {
            string prediction = Path.Combine(labels.FullName, id + ".png");
            if (!File.Exists(prediction))
            {
                missing.Add(id);
                continue;
            }
            try
            {
                var truth = decoder.DecodeLabels(File.ReadAllBytes(split.MaskPath(id)));
                var predicted = decoder.DecodeLabels(File.ReadAllBytes(prediction));
                matrix.Accumulate(predicted, truth);
            }
            catch (Exception e) when (e is ImageDecodeException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"{id}: {e.Message}");
            }
        }

        int scored = split.Ids.Count - missing.Count - failures.Count;
        Console.WriteLine($"{split.Name}: {split.Ids.Count} images, {scored} scored, {missing.Count} predictions missing, {failures.Count} unreadable");
        Console.Write(matrix.ToTable(names));
        if (missing.Count > 0)
            Console.WriteLine($"missing predictions ({missing.Count}): {string.Join(", ", missing.Take(20))}{(missing.Count > 20 ? ", ..." : "")}");
        foreach (string failure in failures) Console.Error.WriteLine($"wsss eval: {failure}");
        if (scored == 0) throw new CommandFailedException($"no prediction in {labels.FullName} could be scored against the {split.Name} split.");
        return failures.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static int Sweep(DirectoryInfo mapsDirectory, IReadOnlyList<float> thresholds, bool withCrf, DirectoryInfo? baselineDirectory, float? baselineThreshold,
        DirectoryInfo data, string splitName)
    {
        var (split, names) = OpenSplit(data, splitName, mapsDirectory);
        if (baselineDirectory is { Exists: false }) throw new CommandFailedException($"the folder {baselineDirectory.FullName} does not exist.");
        var added = baselineDirectory is null ? null : thresholds.Select(_ => new AddedForeground()).ToArray();
        var matrices = thresholds.Select(_ => new ConfusionMatrix(names.Count)).ToArray();
        var crfMatrices = withCrf ? thresholds.Select(_ => new ConfusionMatrix(names.Count)).ToArray() : null;
        var crf = withCrf ? new DenseCrf() : null;
        var decoder = new ImageDecoder();
        var missing = new List<string>();
        var failures = new List<string>();
        var progress = new ProgressLines(Console.Error, $"eval {split.Name}" + (withCrf ? " (with CRF)" : ""), split.Ids.Count);
        int done = 0;
        foreach (string id in split.Ids)
        {
            progress.Report(done++);
            string path = Path.Combine(mapsDirectory.FullName, id + ClassMapsFile.Extension);
            string? baselinePath = baselineDirectory is null ? null : Path.Combine(baselineDirectory.FullName, id + ClassMapsFile.Extension);
            if (!File.Exists(path) || (baselinePath is not null && !File.Exists(baselinePath)))
            {
                missing.Add(id);
                continue;
            }
            try
            {
                var truth = decoder.DecodeLabels(File.ReadAllBytes(split.MaskPath(id)));
                void RequireTruthSize(string what, int width, int height)
                {
                    if (width != truth.Width || height != truth.Height)
                        throw new InvalidDataException($"the {what} {width}x{height} but the ground truth is {truth.Width}x{truth.Height}");
                }
                var maps = ClassMapsFile.Read(File.ReadAllBytes(path), path);
                RequireTruthSize("maps are", maps.Width, maps.Height);
                var baseline = baselinePath is null ? null : ClassMapsFile.Read(File.ReadAllBytes(baselinePath), baselinePath);
                if (baseline is not null) RequireTruthSize("baseline maps are", baseline.Width, baseline.Height);
                var image = crf is null ? null : decoder.DecodeRgb(File.ReadAllBytes(split.ImagePath(id)));
                if (image is not null) RequireTruthSize("image is", image.Width, image.Height);
                // Computed once per image, not per threshold: the distances, and the baseline's seeds at a fixed threshold.
                int[]? distances = baseline is null ? null : AddedForeground.DistanceToObjects(truth);
                var fixedBaselineSeeds = baseline is not null && baselineThreshold is { } bt ? Seeds.FromMaps(baseline, bt) : null;
                for (int t = 0; t < thresholds.Count; t++)
                {
                    var seeds = Seeds.FromMaps(maps, thresholds[t]);
                    matrices[t].Accumulate(seeds, truth);
                    if (baseline is not null) added![t].Accumulate(fixedBaselineSeeds ?? Seeds.FromMaps(baseline, thresholds[t]), seeds, truth, distances);
                    if (image is not null) crfMatrices![t].Accumulate(ConfidentLabels.RefinedSeeds(image, maps, thresholds[t], crf!), truth);
                }
            }
            catch (Exception e) when (e is ImageDecodeException or InvalidDataException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"{id}: {e.Message}");
            }
        }

        progress.Report(split.Ids.Count);
        int scored = split.Ids.Count - missing.Count - failures.Count;
        Console.WriteLine($"{split.Name}: {split.Ids.Count} images, {scored} scored, {missing.Count} maps missing, {failures.Count} unreadable");
        foreach (string failure in failures) Console.Error.WriteLine($"wsss eval: {failure}");
        if (scored == 0) throw new CommandFailedException($"no class maps in {mapsDirectory.FullName} could be scored against the {split.Name} split.");
        int best = Best(matrices), bestCrf = crfMatrices is null ? 0 : Best(crfMatrices);
        Console.WriteLine(crfMatrices is null ? "threshold  mIoU %" : "threshold  mIoU %  CRF mIoU %");
        for (int t = 0; t < thresholds.Count; t++)
            Console.WriteLine(crfMatrices is null
                ? $"{Threshold(thresholds[t]),9}  {100 * matrices[t].MeanIntersectionOverUnion,6:F2}"
                : $"{Threshold(thresholds[t]),9}  {100 * matrices[t].MeanIntersectionOverUnion,6:F2}  {100 * crfMatrices[t].MeanIntersectionOverUnion,10:F2}");
        Console.WriteLine($"best: threshold {Threshold(thresholds[best])}, mIoU {100 * matrices[best].MeanIntersectionOverUnion:F2} %");
        Console.Write(matrices[best].ToTable(names));
        if (EdgeWarning(thresholds, best, "") is { } edge) Console.Error.WriteLine(edge);
        if (crfMatrices is not null)
        {
            Console.WriteLine($"best with CRF: threshold {Threshold(thresholds[bestCrf])}, mIoU {100 * crfMatrices[bestCrf].MeanIntersectionOverUnion:F2} %");
            Console.Write(crfMatrices[bestCrf].ToTable(names));
            if (EdgeWarning(thresholds, bestCrf, "CRF ") is { } crfEdge) Console.Error.WriteLine(crfEdge);
        }
        if (added is not null)
        {
            string baseline = baselineThreshold is { } b ? Threshold(b) : "as the row's";
            Console.WriteLine($"foreground added over {baselineDirectory!.FullName}'s seeds (baseline threshold {baseline}):");
            for (int t = 0; t < thresholds.Count; t++) Console.WriteLine($"{Threshold(thresholds[t]),9}  {added[t].Format()}");
        }
        return failures.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>
    /// A threshold as given: three decimals at least (0.150), more where it has them (0.0005), so that the sub-0.001
    /// thresholds peaked pretrained maps want stay apart. Through decimal, which keeps float's 7 significant digits.
    /// </summary>
    private static string Threshold(float value) => ((decimal)value).ToString("0.000####", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// A warning when the best threshold is an end of the sweep (<see cref="SweepEdge"/>): the maps' own best may be
    /// outside the grid. Peaked maps (an ImageNet classifier's CAM) do best
    /// far below the default grid's 0.05, so comparing two methods on that grid can rank them by the grid, not the maps.
    /// </summary>
    private static string? EdgeWarning(IReadOnlyList<float> thresholds, int best, string what)
    {
        float t = thresholds[best];
        string? edge = SweepEdge.Of(thresholds, t);
        return edge is null ? null :
            $"wsss eval: warning: the best {what}threshold {Threshold(t)} is the {edge} of --thresholds; the maps' own best may lie {(edge == "lowest" ? "below" : "above")} " +
            "it: extend --thresholds to find it";
    }

    /// <summary>The index of the highest mIoU (the first on ties).</summary>
    private static int Best(ConfusionMatrix[] matrices)
    {
        int best = 0;
        for (int t = 1; t < matrices.Length; t++)
            if (matrices[t].MeanIntersectionOverUnion > matrices[best].MeanIntersectionOverUnion) best = t;
        return best;
    }

    /// <summary>"start:stop:step" (stop included, to within a thousandth of a step) or "a,b,c"; each in [0, 1].</summary>
    internal static IReadOnlyList<float> ParseThresholds(string text)
    {
        static float Parse(string s) => float.TryParse(s.Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float v)
            ? v
            : throw new UsageException($"--thresholds: \"{s}\" is not a number.");
        var values = new List<float>();
        string[] range = text.Split(':');
        if (range.Length == 3)
        {
            float start = Parse(range[0]), stop = Parse(range[1]), step = Parse(range[2]);
            if (!(step > 0) || stop < start) throw new UsageException($"--thresholds {text}: the step must be positive and stop at least start.");
            int count = (int)Math.Floor((stop - start) / step + 1e-3) + 1;
            if (count > 1000) throw new UsageException($"--thresholds {text} gives {count} thresholds; at most 1000.");
            for (int i = 0; i < count; i++) values.Add((float)Math.Round(start + i * (double)step, 6));
        }
        else if (range.Length == 1)
        {
            values.AddRange(text.Split(',').Select(Parse));
        }
        else
        {
            throw new UsageException($"--thresholds {text}: give start:stop:step or a comma list.");
        }
        foreach (float v in values)
        {
            if (!(v is >= 0f and <= 1f)) throw new UsageException($"--thresholds: every threshold must be in [0, 1]; got {v}.");
        }
        return values;
    }
}
