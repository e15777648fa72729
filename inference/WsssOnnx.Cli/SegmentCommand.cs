using System.CommandLine;
using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Cli.Remote;
using WsssOnnx.Imaging;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using WsssOnnx.Server.Handlers;

namespace WsssOnnx.Cli;

/// <summary>
/// `wsss segment`: the segmenter's label map of each image (VOC palette PNG, &lt;stem&gt;_segment.png), here with
/// --package or on running servers with --server. With --data and --split it segments a dataset split instead and
/// writes &lt;id&gt;.png, the names `wsss eval --labels` reads, skipping maps already there (so a rerun resumes).
/// An image that fails is reported and the others go on.
/// </summary>
internal static class SegmentCommand
{
    /// <summary>Longest image side local segmentation accepts.</summary>
    private const int LocalMaxSide = 4096;

    public static Command Create()
    {
        var package = new Option<DirectoryInfo?>("--package") { Description = "A model package folder (models/<name>/<version>); or --server" };
        var server = new Option<string?>("--server") { Description = "Ask running servers instead: host:port[,host:port...] (retried on UNAVAILABLE)" };
        var model = new Option<string?>("--model") { Description = "With --server: the package name[/version] (default: the server's default, active version)" };
        var retries = new Option<int>("--retries") { Description = "With --server: retries on UNAVAILABLE or RESOURCE_EXHAUSTED", DefaultValueFactory = _ => 5 };
        var images = new Argument<FileInfo[]>("images") { Description = "JPEG or PNG images (or --data and --split)", Arity = ArgumentArity.ZeroOrMore };
        var data = new Option<DirectoryInfo?>("--data") { Description = "A dataset in VOC layout: segment a split of it and write <id>.png, as `wsss eval --labels` reads" };
        var split = SplitOption.Create("With --data: the split to segment");
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the label maps (created if missing)", Required = true };
        var command = new Command("segment", "Label maps of images from the package's segmentation network") { package, server, model, retries, data, split, output, images };
        command.SetAction(result =>
        {
            string? servers = result.GetValue(server);
            var packageDirectory = result.GetValue(package);
            if ((servers is null) == (packageDirectory is null))
                throw new UsageException("give either --package (segment here) or --server (ask running servers), not both and not neither.");
            var work = Work(result.GetValue(images)!, result.GetValue(data), result.GetValue(split));
            var outputDirectory = result.GetValue(output)!;
            Directory.CreateDirectory(outputDirectory.FullName);
            Func<FileInfo, SegmentResponse> segment;
            IDisposable resource;
            if (servers is not null)
            {
                var pool = ServerPool.Parse(servers, result.GetValue(retries));
                var selector = RemoteRelabelCommand.ModelSelector(result.GetValue(model));
                segment = file => RemoteCalls.Segment(pool, new SegmentRequest { Image = RemoteCalls.Bytes(ImageFile.ReadBytes(file)), Model = selector });
                resource = pool;
            }
            else
            {
                var loaded = Open(packageDirectory!);
                var limits = new ImageLimits { MaxWidth = LocalMaxSide, MaxHeight = LocalMaxSide, MaxPixels = (long)LocalMaxSide * LocalMaxSide };
                segment = file =>
                {
                    var image = ImageFile.Decode(ImageFile.ReadBytes(file), file, limits);
                    var labels = loaded.Segment(image, CancellationToken.None);
                    var servedBy = new ServedBy { Name = loaded.Package.Manifest.Name, Version = loaded.Package.Manifest.Version, ExecutionProvider = loaded.ExecutionProvider };
                    return new SegmentResponse { Labels = ReplyEncoding.Labels(labels, LabelEncoding.Png, loaded.Classes), ServedBy = servedBy };
                };
                resource = loaded;
            }
            using (resource)
            {
                int failed = 0, skipped = 0;
                foreach (var (file, name) in work)
                {
                    string path = Path.Combine(outputDirectory.FullName, name);
                    if (result.GetValue(data) is not null && File.Exists(path))
                    {
                        skipped++;
                        continue;
                    }
                    try
                    {
                        var reply = segment(file);
                        AtomicFile.WriteAllBytes(path, reply.Labels.Png.ToByteArray());
                        var areas = reply.Labels.Classes.Select(c => $"{c.Name} {100 * c.Fraction:F1}%");
                        Console.WriteLine($"{file.Name}: {string.Join(", ", areas)} ({reply.ServedBy.Name}/{reply.ServedBy.Version}) -> {path}");
                    }
                    catch (CommandFailedException e)
                    {
                        failed++;
                        Console.Error.WriteLine($"wsss segment: {file.Name}: {e.Message}");
                    }
                }
                if (skipped > 0) Console.WriteLine($"{skipped} label maps already there (skipped)");
                return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
            }
        });
        return command;
    }

    /// <summary>The images and the file name of each one's label map: &lt;stem&gt;_segment.png, or &lt;id&gt;.png for a dataset split.</summary>
    private static List<(FileInfo File, string Name)> Work(FileInfo[] images, DirectoryInfo? data, string? split)
    {
        if (data is null)
        {
            if (split is not null) throw new UsageException("--split needs --data.");
            if (images.Length == 0) throw new UsageException("give images to segment, or --data and --split.");
            return [.. images.Select(f => (f, Path.GetFileNameWithoutExtension(f.Name) + "_segment.png"))];
        }
        if (images.Length > 0) throw new UsageException("give images or --data and --split, not both.");
        if (split is null) throw new UsageException("--data needs --split (e.g. val).");
        var voc = SplitOption.Open(data, split);
        return [.. voc.Ids.Select(id => (new FileInfo(voc.ImagePath(id)), id + ".png"))];
    }

    private static PackagePipeline Open(DirectoryInfo directory)
    {
        var pipeline = LocalPackage.Open(directory.FullName, MapMethod.Cam, [], new SessionConfig(), PipelineNetworks.Segmenter);
        if (pipeline.CanSegment) return pipeline;
        pipeline.Dispose();
        throw new CommandFailedException($"{directory.FullName} has no segmenter.onnx.");
    }
}
