using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Imaging;
using WsssOnnx.Onnx;
using WsssOnnx.Packages;
using WsssOnnx.Packages.Onnx;
using WsssOnnx.Runtime;

namespace WsssOnnx.Cli;

/// <summary>
/// `wsss bench`: speed of one model package on this machine at its native input size: images/s for CAM and AdvCAM
/// (the package's T and scales), time per climbing step, the climbing step's achieved GFLOP/s against an n x n x n
/// MatMul that the same command measures with the same threads, and what batching the classes' (image, flip) pairs into
/// one ORT call gains over one call per pair. Times are medians over --repeats runs after a warm-up. The pair is the
/// smallest unit the climbing graph takes (it merges a copy with its flip), so flips are always batched; scales are
/// not (their sizes differ), so the comparison is classes batched or not.
/// </summary>
internal static class BenchCommand
{
    private const int MatMulSize = 1024;

    // n/a figures (no climbing step at T < 2) are written as "NaN".
    private static readonly JsonSerializerOptions JsonOptions = new(ModelManifest.Json) { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static Command Create()
    {
        var package = new Option<DirectoryInfo?>("--package") { Description = "A model package folder (default: the newest version under models/default)" };
        var image = new Option<FileInfo?>("--image") { Description = "A JPEG or PNG to time (default: a synthetic image of --size)" };
        var size = new Option<int?>("--size") { Description = "Side of the synthetic square image (default: the package's training size)" };
        var classes = new Option<string?>("--classes") { Description = "Comma-separated classes climbed per image (default: the package's first two)" };
        var steps = new Option<int?>("--steps") { Description = "AdvCAM's T (default: the package's)" };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs of each measurement", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "ORT intra-op threads for every session, MatMul peak included (0: ORT's choice, one per core)", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON object instead of a table" };
        var command = new Command("bench", "Images/s for CAM and AdvCAM, time and GFLOP/s of a climbing step against a measured MatMul peak, and the gain of batching")
        {
            package, image, size, classes, steps, repeats, threads, json,
        };
        command.SetAction(result => Run(result.GetValue(package), result.GetValue(image), result.GetValue(size), result.GetValue(classes), result.GetValue(steps),
            result.GetValue(repeats), result.GetValue(threads), result.GetValue(json)));
        return command;
    }

    private static int Run(DirectoryInfo? packageDirectory, FileInfo? imageFile, int? size, string? classList, int? steps, int repeats, int threads, bool json)
    {
        if (repeats is < 1 or > 1000) throw new UsageException($"--repeats must be in [1, 1000]; got {repeats}.");
        if (threads is < 0 or > 1024) throw new UsageException($"--threads must be in [0, 1024] (0: ORT's choice); got {threads}.");
        if (size is < 16 or > 1024) throw new UsageException($"--size must be in [16, 1024]; got {size}.");
        string directory = packageDirectory?.FullName ?? NewestDefaultPackage();
        var sessions = new SessionConfig { IntraOpThreads = threads, WarmUp = false };
        using var attribution = LocalPackage.Open(directory, MapMethod.AdvCam, [PseudoLabelKind.Seeds], sessions);
        var advCam = LocalPackage.Parameters(attribution, MapMethod.AdvCam, new LabelOverrides { Steps = steps }, [PseudoLabelKind.Seeds]).Maps;
        var manifest = attribution.Package.Manifest;
        var targets = classList is null ? [.. Enumerable.Range(0, Math.Min(2, attribution.ForegroundClasses.Count))] : LocalPackage.ResolveClasses(attribution, classList.Split(','));
        if (targets.Count == 0) throw new UsageException("--classes names no class; give at least one, e.g. --classes disc.");
        var picture = imageFile is null ? SyntheticImage.Shapes(size ?? manifest.Networks.TrainingSize) : LocalPackage.ReadImage(imageFile.FullName, advCam.MaxSide);

        var cam = advCam with { Steps = 1 };
        var unbatched = advCam with { PairsPerCall = 1 };
        if (!json) Console.Error.WriteLine($"wsss bench: {manifest.Name}/{manifest.Version}, {picture.Width}x{picture.Height}, {targets.Count} classes, T = {advCam.Steps}, {repeats} repeats ...");

        // Warm-up: every session and scale once (ORT plans and allocates on the first run of a shape).
        attribution.Maps(picture, targets, advCam with { Steps = Math.Min(advCam.Steps, 3) }, trace: null);
        var camTimes = Time(repeats, () => attribution.Maps(picture, targets, cam, trace: null));
        // Batched and one-call-per-pair runs alternate, so that a change in the machine's load hits both alike.
        var traces = new List<ClimbingTrace>();
        var advCamTimes = new List<double>(repeats);
        var unbatchedTimes = new List<double>(repeats);
        for (int r = 0; r < repeats; r++)
        {
            var trace = new ClimbingTrace();
            advCamTimes.Add(Time(1, () => attribution.Maps(picture, targets, advCam, trace))[0]);
            traces.Add(trace);
            if (targets.Count > 1) unbatchedTimes.Add(Time(1, () => attribution.Maps(picture, targets, unbatched, trace: null))[0]);
        }
        if (targets.Count == 1) unbatchedTimes = advCamTimes;

        // Climbing steps proper: scale 1, t = 1 .. T − 2 (the climbing graph with λ on; t = 0 also copies A_0 out, and
        // t = T − 1 runs the classifier graph). With T < 3 only t = 0 ran the climbing graph.
        var climbing = traces.SelectMany(t => t.Steps)
            .Where(s => s.Scale == 1f && (advCam.Steps >= 3 ? s.Step >= 1 && s.Step <= advCam.Steps - 2 : s.Step == 0 && advCam.Steps == 2))
            .Select(s => s.Elapsed.TotalSeconds).ToList();
        var climber = attribution.Package.Has(PackageRoles.Climber) ? ModelProto.Parser.ParseFrom(File.ReadAllBytes(attribution.Package.PathOf(PackageRoles.Climber))) : null;
        var classifier = ModelProto.Parser.ParseFrom(File.ReadAllBytes(attribution.Package.PathOf(PackageRoles.Classifier)));
        var (stepFlops, uncounted) = climber is null || !advCam.Scales.Contains(1f) ? (0L, 0) : GraphFlops.Count(climber, ImageShape(2 * targets.Count, picture.Width, picture.Height));
        double advCamImageFlops = AdvCamImageFlops(classifier, climber, advCam, targets.Count, picture);
        var (matMulSeconds, peak) = MatMulPeak.Measure(MatMulSize, Math.Max(5, repeats), sessions);

        double stepMedian = climbing.Count > 0 ? BenchStatistics.Percentile(climbing, 0.5) : double.NaN;
        double stepGflops = stepFlops > 0 ? stepFlops / stepMedian / 1e9 : double.NaN;
        double advCamMedian = BenchStatistics.Percentile(advCamTimes, 0.5);
        var figures = new BenchFigures
        {
            Package = $"{manifest.Name}/{manifest.Version}",
            Width = picture.Width,
            Height = picture.Height,
            Classes = [.. targets.Select(c => attribution.ForegroundClasses[c])],
            Steps = advCam.Steps,
            Scales = advCam.Scales,
            Repeats = repeats,
            Threads = threads,
            Provider = OrtRuntime.CpuProvider,
            CamImagesPerSecond = 1 / BenchStatistics.Percentile(camTimes, 0.5),
            AdvCamImagesPerSecond = 1 / advCamMedian,
            AdvCamGflopsPerSecond = advCamImageFlops / advCamMedian / 1e9,
            ClimbStepMsMedian = stepMedian * 1e3,
            ClimbStepMsP90 = climbing.Count > 0 ? BenchStatistics.Percentile(climbing, 0.9) * 1e3 : double.NaN,
            ClimbStepSamples = climbing.Count,
            ClimbStepGflop = stepFlops / 1e9,
            ClimbStepUncountedNodes = uncounted,
            ClimbStepGflopsPerSecond = stepGflops,
            MatMulSize = MatMulSize,
            MatMulMs = matMulSeconds * 1e3,
            MatMulGflopsPerSecond = peak,
            ClimbStepFractionOfPeak = stepGflops / peak,
            UnbatchedAdvCamImagesPerSecond = 1 / BenchStatistics.Percentile(unbatchedTimes, 0.5),
            BatchingSpeedup = BenchStatistics.Percentile(unbatchedTimes, 0.5) / advCamMedian,
        };
        if (json) Console.WriteLine(JsonSerializer.Serialize(figures, JsonOptions));
        else Print(figures);
        return ExitCodes.Ok;
    }

    private static void Print(BenchFigures f)
    {
        static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
        string copies = $"{2 * f.Classes.Count} copies";
        string threads = f.Threads == 0 ? "ORT default" : $"{f.Threads}";
        var table = new Table().Title(
                $"wsss bench: {f.Package}, {f.Width}x{f.Height}, classes {string.Join(", ", f.Classes)}, T = {f.Steps}, scales {string.Join(", ", f.Scales)}, threads {threads}")
            .AddColumn("measure").AddColumn(new TableColumn("value").RightAligned()).AddColumn("unit / note");
        table.AddRow("CAM", F(f.CamImagesPerSecond, "F2"), "images/s (1 classifier call per scale)");
        table.AddRow("AdvCAM", F(f.AdvCamImagesPerSecond, "F3"), $"images/s ({Markup.Escape(copies)} per call, {F(f.AdvCamGflopsPerSecond, "F1")} GFLOP/s overall)");
        table.AddRow("climbing step, median", F(f.ClimbStepMsMedian, "F1"), $"ms (scale 1, {Markup.Escape(copies)}, {f.ClimbStepSamples} steps)");
        table.AddRow("climbing step, p90", F(f.ClimbStepMsP90, "F1"), "ms");
        string uncounted = f.ClimbStepUncountedNodes > 0 ? $", {f.ClimbStepUncountedNodes} nodes uncounted" : "";
        table.AddRow("climbing step, work", F(f.ClimbStepGflop, "F3"), $"GFLOP (Conv/ConvTranspose/MatMul/Gemm, 2 per MAC{uncounted})");
        table.AddRow("climbing step, achieved", F(f.ClimbStepGflopsPerSecond, "F1"), "GFLOP/s");
        table.AddRow($"MatMul {f.MatMulSize}³ peak", F(f.MatMulGflopsPerSecond, "F1"), $"GFLOP/s ({F(f.MatMulMs, "F1")} ms a product, same threads)");
        table.AddRow("climbing step / peak", F(100 * f.ClimbStepFractionOfPeak, "F1"), "%");
        table.AddRow("AdvCAM, one call per pair", F(f.UnbatchedAdvCamImagesPerSecond, "F3"), "images/s (one class's image + flip per call)");
        table.AddRow("batching speed-up", F(f.BatchingSpeedup, "F2"), "x (all classes in one call vs one call per pair)");
        AnsiConsole.Write(table);
    }

    /// <summary>FLOPs of one AdvCAM image: per scale T − 1 climbing-graph calls and one classifier call (plain CAM: one classifier call on one pair).</summary>
    private static double AdvCamImageFlops(ModelProto classifier, ModelProto? climber, AdvCamOptions o, int pairs, RgbImage image)
    {
        double total = 0;
        foreach (float scale in o.Scales)
        {
            int w = Math.Max(1, (int)Math.Round(image.Width * scale)), h = Math.Max(1, (int)Math.Round(image.Height * scale));
            total += GraphFlops.Count(classifier, ImageShape(2 * pairs, w, h)).Flops;
            if (o.Steps > 1 && climber is not null) total += (o.Steps - 1) * (double)GraphFlops.Count(climber, ImageShape(2 * pairs, w, h)).Flops;
        }
        return total;
    }

    private static Dictionary<string, long[]> ImageShape(int copies, int width, int height) => new() { [ClassifierContract.Image] = [copies, 3, height, width] };

    private static List<double> Time(int repeats, Action run)
    {
        var times = new List<double>(repeats);
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            run();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        return times;
    }

    /// <summary>The newest version under ./models/default: numeric versions by number, after them others by name.</summary>
    private static string NewestDefaultPackage()
    {
        string root = Path.GetFullPath(Path.Combine("models", "default"));
        var versions = Directory.Exists(root)
            ? Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, ModelManifest.FileName))).ToList()
            : [];
        if (versions.Count == 0) throw new CommandFailedException($"no model package under {root}; give --package models/<name>/<version>.");
        return versions.OrderBy(d => long.TryParse(Path.GetFileName(d), out long n) ? 0 : 1)
            .ThenBy(d => long.TryParse(Path.GetFileName(d), out long n) ? n : 0)
            .ThenBy(d => Path.GetFileName(d), StringComparer.Ordinal)
            .Last();
    }

    private sealed record BenchFigures
    {
        public required string Package { get; init; }
        public int Width { get; init; }
        public int Height { get; init; }
        public required IReadOnlyList<string> Classes { get; init; }
        public int Steps { get; init; }
        public required IReadOnlyList<float> Scales { get; init; }
        public int Repeats { get; init; }
        public int Threads { get; init; }
        public required string Provider { get; init; }
        public double CamImagesPerSecond { get; init; }
        public double AdvCamImagesPerSecond { get; init; }
        public double AdvCamGflopsPerSecond { get; init; }
        public double ClimbStepMsMedian { get; init; }
        public double ClimbStepMsP90 { get; init; }
        public int ClimbStepSamples { get; init; }
        public double ClimbStepGflop { get; init; }
        public int ClimbStepUncountedNodes { get; init; }
        public double ClimbStepGflopsPerSecond { get; init; }
        public int MatMulSize { get; init; }
        public double MatMulMs { get; init; }
        public double MatMulGflopsPerSecond { get; init; }
        public double ClimbStepFractionOfPeak { get; init; }
        public double UnbatchedAdvCamImagesPerSecond { get; init; }
        public double BatchingSpeedup { get; init; }
    }
}
