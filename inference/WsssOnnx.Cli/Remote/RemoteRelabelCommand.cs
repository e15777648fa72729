using WsssOnnx.Attribution.Pipeline;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Spectre.Console;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Datasets;
using WsssOnnx.Grpc;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Protos.Wsss.V1;

namespace WsssOnnx.Cli.Remote;

/// <summary>
/// `wsss relabel --server`: the same job as local relabel, done by running servers through RegenerateLabels. The output
/// is the same (&lt;id&gt;.png, atomically written, existing ones skipped, so a rerun resumes); the servers that
/// answered and the model versions that served are reported.
/// </summary>
internal static class RemoteRelabelCommand
{
    /// <summary>The thresholds given; the server resolves the unset ones against its seed threshold.</summary>
    public static ConfidentThresholds Thresholds(ConfidentChoice confident)
    {
        var thresholds = new ConfidentThresholds();
        if (confident.Foreground is float fg) thresholds.Foreground = fg;
        if (confident.Background is float bg) thresholds.Background = bg;
        return thresholds;
    }

    /// <summary>The stream options for the command line's choices; null fields keep the server package's defaults.</summary>
    public static RegenerateOptions Options(string? model, MapMethod method, int? steps, float? threshold, LabelMode mode, ConfidentChoice confident,
        float? stepSize = null, float? maskWeight = null, FickleChoice? fickle = null, IReadOnlyList<float>? scales = null)
    {
        var options = new RegenerateOptions
        {
            Method = method.ToWire(),
            FickleNet = LocalPackage.WireFickleOf(fickle ?? FickleChoice.None),
            Label = mode switch { LabelMode.Seeds => LabelKind.Seeds, LabelMode.Crf => LabelKind.Crf, LabelMode.Rw => LabelKind.RandomWalk, _ => LabelKind.Confident },
            ConfidentThresholds = Thresholds(confident),
            Model = ModelSelector(model),
        };
        var parameters = new AdvCamParameters();
        if (steps is int t)
        {
            if (t < 1) throw new UsageException($"--steps must be at least 1; got {t}.");
            parameters.Steps = (uint)t;
        }
        if (stepSize is float xi) parameters.StepSize = xi;
        if (maskWeight is float lambda) parameters.MaskWeight = lambda;
        if (scales is not null) parameters.Scales.AddRange(scales);
        options.Parameters = parameters;
        if (threshold is float bg) options.BackgroundThreshold = bg;
        return options;
    }

    /// <summary>"name" or "name/version" as a selector; null: the server's default.</summary>
    public static ModelSelector ModelSelector(string? model)
    {
        if (string.IsNullOrEmpty(model)) return new ModelSelector();
        string[] parts = model.Split('/', 2);
        return new ModelSelector { Name = parts[0], Version = parts.Length > 1 ? parts[1] : "" };
    }

    public static int Run(string servers, int window, int retries, RegenerateOptions options, VocSplit split, DirectoryInfo output)
    {
        if (window is < 1 or > 64) throw new UsageException($"--window must be in [1, 64]; got {window}.");
        using var pool = ServerPool.Parse(servers, retries);
        options.MaxInFlight = (uint)window;
        Directory.CreateDirectory(output.FullName);
        var todo = split.Ids.Where(id => !File.Exists(Path.Combine(output.FullName, id + ".png"))).ToList();
        int skipped = split.Ids.Count - todo.Count;
        var failures = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var versions = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var retried = new ConcurrentQueue<string>();
        int written = 0;

        // An image whose annotation names no object is all background, as a local relabel labels it; the service
        // takes at least one class, so such images are written here and never sent.
        // Each annotation is read once here; its names travel with the image when it is sent.
        var objectNames = todo.ToDictionary(id => id, id => ObjectNamesOrNull(split, id), StringComparer.Ordinal);
        var backgroundOnly = todo.Where(id => objectNames[id] is { Count: 0 }).ToList();
        foreach (string id in backgroundOnly)
        {
            try
            {
                var image = new ImageDecoder().DecodeRgb(File.ReadAllBytes(split.ImagePath(id)));
                AtomicFile.WriteAllBytes(Path.Combine(output.FullName, id + ".png"), PngEncoder.EncodeVocLabels(new GrayImage(image.Width, image.Height)));
                written++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageDecodeException)
            {
                failures[id] = e.Message;
            }
        }
        int answeredHere = backgroundOnly.Count;
        todo = [.. todo.Except(backgroundOnly)];
        var clock = Stopwatch.StartNew();

        using var interrupt = new SignalCancellation(PosixSignal.SIGINT);

        var relabeler = new RemoteRelabeler(pool, options, window);
        IReadOnlyList<string> unanswered = [];
        string? lastError = null;
        try
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask($"relabel {split.Name} on {pool.Channels.Count} server(s)", maxValue: Math.Max(1, todo.Count));
                    relabeler.Answered += reply =>
                    {
                        if (reply.ResultCase == RegenerateLabelsResponse.ResultOneofCase.Labels)
                        {
                            try
                            {
                                AtomicFile.WriteAllBytes(Path.Combine(output.FullName, reply.Id + ".png"), reply.Labels.Png.ToByteArray());
                                Interlocked.Increment(ref written);
                                versions.AddOrUpdate($"{reply.ServedBy.Name}/{reply.ServedBy.Version}", 1, (_, n) => n + 1);
                            }
                            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                            {
                                failures[reply.Id] = $"cannot write its label map: {e.Message}";
                            }
                        }
                        else
                        {
                            failures[reply.Id] = reply.Error is { } error ? $"{(GrpcStatusCode)error.Code}: {error.Message}" : "the server sent no result";
                        }
                        task.Increment(1);
                    };
                    relabeler.Failed += (id, message) =>
                    {
                        failures[id] = message;
                        task.Increment(1);
                    };
                    relabeler.StreamRetried += (server, reason) => retried.Enqueue($"{server}: {reason}");
                    (unanswered, lastError) = relabeler.RunAsync(todo, id => Item(split, id, objectNames[id]), interrupt.Token).GetAwaiter().GetResult();
                    if (todo.Count == 0) task.Increment(1);
                });
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
        }
        catch (RpcException e)
        {
            throw new CommandFailedException($"the servers refused the job: {e.StatusCode}: {e.Detail}", e);
        }

        var notes = new List<string>();
        if (!versions.IsEmpty) notes.Add($"served by: {string.Join(", ", versions.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key} ({v.Value})"))}");
        if (!retried.IsEmpty) notes.Add($"{retried.Count} stream(s) broke and were retried; the first: {retried.First()}");
        return RelabelCommand.Report(new RelabelCommand.RelabelOutcome(split, todo.Count + answeredHere, written, skipped, failures, interrupt.IsCancellationRequested, clock.Elapsed,
            output.FullName)
        {
            Notes = notes,
            Unfinished = unanswered.Count > 0 ? $"no server could take the last {unanswered.Count} images ({lastError})" : null,
        });
    }

    // An unreadable annotation is left to the item path, which reads it again and reports it for that image.
    private static IReadOnlyList<string>? ObjectNamesOrNull(VocSplit split, string id)
    {
        try
        {
            return split.ObjectNames(id);
        }
        catch (DatasetException)
        {
            return null;
        }
    }

    private static RegenerateItem Item(VocSplit split, string id, IReadOnlyList<string>? objectNames)
    {
        var item = new RegenerateItem { Id = id, Image = ByteString.CopyFrom(File.ReadAllBytes(split.ImagePath(id))) };
        item.Classes.AddRange(objectNames ?? split.ObjectNames(id));
        return item;
    }
}
