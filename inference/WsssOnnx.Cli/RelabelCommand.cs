using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Spectre.Console;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Cli.Remote;
using WsssOnnx.Datasets;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;

namespace WsssOnnx.Cli;

/// <summary>
/// `wsss relabel`: pseudo-labels for every image of a VOC split from its image-level labels (Annotations XML),
/// written as &lt;id&gt;.png (VOC palette). Resumable: an existing &lt;id&gt;.png is skipped, and each file appears
/// only complete (.partial, then rename). A failing image is reported at the end and does not stop the others.
/// SIGINT (Ctrl+C) starts no new image, cancels the running ones (their files are not written), reports what was
/// written and exits with 130; a rerun does the rest.
/// </summary>
internal static class RelabelCommand
{
    public static Command Create()
    {
        var package = new Option<DirectoryInfo?>("--package") { Description = "A model package folder (models/<name>/<version>); or --server" };
        var server = new Option<string?>("--server") { Description = "Label on running servers instead: host:port[,host:port...] (one stream per server)" };
        var model = new Option<string?>("--model") { Description = "With --server: the package name[/version] to use (default: the server's default, active version)" };
        var window = new Option<int>("--window") { Description = "With --server: images in flight per server", DefaultValueFactory = _ => 4 };
        var retries = new Option<int>("--retries") { Description = "With --server: consecutive failures of a server's stream before it is given up", DefaultValueFactory = _ => 5 };
        var data = new Option<DirectoryInfo>("--data") { Description = VocLayout.RootHelp, Required = true };
        var split = SplitOption.Create("The split to label (image-level labels: Annotations/<id>.xml)", "train");
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the <id>.png label maps (created if missing)", Required = true };
        var mode = new Option<LabelMode?>("--mode")
        {
            Description = "seeds (threshold, argmax), crf (seeds refined by dense CRF), confident (IRN's labels, 255 where unsure) " +
                          "or rw (IRN's random walk; needs a package with a boundary network); default seeds",
        };
        var crf = new Option<bool>("--crf") { Description = "Same as --mode crf" };
        var saveMaps = new Option<DirectoryInfo?>("--save-maps") { Description = "Also write each image's class maps as <id>.maps, for `wsss eval --maps` threshold sweeps" };
        var parallel = new Option<int>("--parallel") { Description = "Images labelled at once (they share the ONNX Runtime sessions)", DefaultValueFactory = _ => 2 };
        var label = new LabelParameterOptions();
        var command = new Command("relabel", "Pseudo-label maps for every image of a dataset split from its image-level labels")
        {
            package, server, model, window, retries, data, split, output,
        };
        foreach (var option in label.MethodOptions) command.Options.Add(option);
        foreach (var option in (Option[])[mode, crf, .. label.ConfidentOptions, saveMaps, parallel]) command.Options.Add(option);
        command.SetAction(result =>
        {
            var labelMode = LabelModes.Resolve(result.GetValue(mode), result.GetValue(crf));
            var confident = label.Confident(result);
            string? servers = result.GetValue(server);
            if ((servers is null) == (result.GetValue(package) is null))
                throw new UsageException("give either --package (label here) or --server (label on running servers), not both and not neither.");
            if (servers is not null)
            {
                if (result.GetValue(saveMaps) is not null) throw new UsageException("--save-maps needs --package: servers return label maps, not class maps.");
                var remote = RemoteRelabelCommand.Options(result.GetValue(model), result.GetValue(label.Method), result.GetValue(label.Steps), result.GetValue(label.Threshold), labelMode, confident,
                    result.GetValue(label.StepSize), result.GetValue(label.MaskWeight), label.Fickle(result), label.ScaleList(result));
                return RemoteRelabelCommand.Run(servers, result.GetValue(window), result.GetValue(retries), remote,
                    SplitOption.Open(result.GetValue(data)!, result.GetValue(split)), result.GetValue(output)!);
            }
            return Run(result.GetValue(package)!, result.GetValue(data)!, result.GetValue(split)!, result.GetValue(output)!,
            result.GetValue(label.Method), result.GetValue(label.Steps), result.GetValue(label.Threshold), labelMode,
            confident, result.GetValue(saveMaps), result.GetValue(parallel), result.GetValue(label.StepSize), result.GetValue(label.MaskWeight), label.Fickle(result),
            label.ScaleList(result));
        });
        return command;
    }

    private static int Run(DirectoryInfo packageDirectory, DirectoryInfo data, string splitName, DirectoryInfo output, MapMethod method,
        int? steps, float? threshold, LabelMode mode, ConfidentChoice confident, DirectoryInfo? saveMaps, int parallel, float? stepSize, float? maskWeight, FickleChoice fickle,
        IReadOnlyList<float>? scales)
    {
        if (parallel is < 1 or > 256) throw new UsageException($"--parallel must be in [1, 256]; got {parallel}.");
        var split = SplitOption.Open(data, splitName);
        PseudoLabelKind[] kinds = [LocalPackage.KindOf(mode)];
        using var pipeline = LocalPackage.Open(packageDirectory.FullName, method, kinds);
        var parameters = LocalPackage.Parameters(pipeline, method, new LabelOverrides
        {
            Steps = steps,
            StepSize = stepSize,
            MaskWeight = maskWeight,
            Scales = scales,
            BackgroundThreshold = threshold,
            ConfidentForeground = confident.Foreground,
            ConfidentBackground = confident.Background,
            DropRate = fickle.DropRate,
            Samples = fickle.Samples,
        }, kinds);
        Directory.CreateDirectory(output.FullName);
        if (saveMaps is not null) Directory.CreateDirectory(saveMaps.FullName);

        // An image is done when its label PNG exists; with --save-maps its maps file too (written first).
        bool Done(string id) => File.Exists(OutputPath(output.FullName, id)) && (saveMaps is null || File.Exists(MapsPath(saveMaps.FullName, id)));
        var todo = split.Ids.Where(id => !Done(id)).ToList();
        int skipped = split.Ids.Count - todo.Count;
        var failures = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        int written = 0;
        var clock = Stopwatch.StartNew();

        using var interrupt = new SignalCancellation(PosixSignal.SIGINT);

        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask($"relabel {split.Name}", maxValue: Math.Max(1, todo.Count));
                try
                {
                    Parallel.ForEach(todo, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = interrupt.Token }, id =>
                    {
                        try
                        {
                            Label(pipeline, parameters, kinds[0], split, id, OutputPath(output.FullName, id), saveMaps is null ? null : MapsPath(saveMaps.FullName, id), interrupt.Token);
                            Interlocked.Increment(ref written);
                        }
                        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
                        {
                            return;
                        }
                        catch (Exception e) when (e is CommandFailedException or DatasetException or InvalidDataException or IOException or UnauthorizedAccessException)
                        {
                            failures[id] = e.Message;
                        }
                        task.Increment(1);
                    });
                }
                catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
                {
                    // Parallel.ForEach stops starting images and rethrows once the running ones have returned.
                }
                if (todo.Count == 0) task.Increment(1);
            });

        return Report(new RelabelOutcome(split, todo.Count, written, skipped, failures, interrupt.IsCancellationRequested, clock.Elapsed, output.FullName));
    }

    /// <summary>What a relabel run did, local or remote.</summary>
    internal sealed record RelabelOutcome(VocSplit Split, int Todo, int Written, int Skipped, IReadOnlyDictionary<string, string> Failures, bool Interrupted,
        TimeSpan Elapsed, string Output)
    {
        public int Left => Todo - Written - Failures.Count;

        /// <summary>Extra lines after the summary (servers, versions, retries).</summary>
        public IReadOnlyList<string> Notes { get; init; } = [];

        /// <summary>Why images are left undone when no interrupt explains it (remote: no server could take them).</summary>
        public string? Unfinished { get; init; }
    }

    /// <summary>The summary line, per-image failures and the exit code: 130 interrupted, 1 if anything failed or is left.</summary>
    internal static int Report(RelabelOutcome o)
    {
        Console.WriteLine($"{o.Split.Name}: {o.Split.Ids.Count} images, {o.Written} written, {o.Skipped} already done (skipped), {o.Failures.Count} failed" +
            (o.Left > 0 ? $", {o.Left} not done" + (o.Interrupted ? " (interrupted)" : "") : "") + $", in {o.Elapsed.TotalSeconds:F1} s -> {o.Output}");
        foreach (string note in o.Notes) Console.WriteLine(note);
        if (o.Failures.Count > 0)
        {
            Console.Error.WriteLine($"wsss relabel: {o.Failures.Count} of {o.Split.Ids.Count} images failed:");
            foreach (var (id, message) in o.Failures.OrderBy(f => f.Key, StringComparer.Ordinal)) Console.Error.WriteLine($"  {id}: {message}");
        }
        if (o.Interrupted)
        {
            Console.Error.WriteLine($"wsss relabel: interrupted; {o.Written} label maps written this run, {o.Left} left: run the same command again to finish.");
            return ExitCodes.Interrupted;
        }
        if (o.Left > 0 && o.Unfinished is not null)
        {
            Console.Error.WriteLine($"wsss relabel: {o.Unfinished}; {o.Left} left: run the same command again to finish.");
            return ExitCodes.Failed;
        }
        return o.Failures.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static string OutputPath(string directory, string id) => Path.Combine(directory, id + ".png");

    private static string MapsPath(string directory, string id) => Path.Combine(directory, id + ClassMapsFile.Extension);

    private static void Label(PackagePipeline pipeline, LabelParameters parameters, PseudoLabelKind kind, VocSplit split, string id, string path, string? mapsPath,
        CancellationToken cancellation)
    {
        var classes = LocalPackage.ResolveClasses(pipeline, split.ObjectNames(id));
        var image = LocalPackage.ReadImage(split.ImagePath(id), parameters.Maps.MaxSide);
        var maps = pipeline.Maps(image, classes, parameters, cancellation);
        var labels = pipeline.Labels(kind, image, maps, parameters, cancellation);
        cancellation.ThrowIfCancellationRequested();
        if (mapsPath is not null) AtomicFile.WriteAllBytes(mapsPath, ClassMapsFile.Write(maps));
        AtomicFile.WriteAllBytes(path, PngEncoder.EncodeVocLabels(labels));
    }
}
