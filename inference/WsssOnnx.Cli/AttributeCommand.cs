using System.CommandLine;
using System.Globalization;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Cli.Remote;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;

namespace WsssOnnx.Cli;

/// <summary>
/// `wsss attribute`: class maps of one image for the given classes, written as pictures: per class a heat-map
/// overlay and the 8-bit map, then the seed labels and, with --crf, the CRF-refined labels, with --confident IRN's
/// confident labels (VOC palette; 255, unsure, is VOC's ignore colour).
/// </summary>
internal static class AttributeCommand
{
    public static Command Create()
    {
        var package = new Option<DirectoryInfo?>("--package") { Description = "A model package folder (models/<name>/<version>); or --server" };
        var server = new Option<string?>("--server") { Description = "Ask running servers instead: host:port[,host:port...] (retried on UNAVAILABLE)" };
        var model = new Option<string?>("--model") { Description = "With --server: the package name[/version] (default: the server's default, active version)" };
        var retries = new Option<int>("--retries") { Description = "With --server: retries on UNAVAILABLE or RESOURCE_EXHAUSTED", DefaultValueFactory = _ => 5 };
        var image = new Option<FileInfo>("--image") { Description = "A JPEG or PNG image", Required = true };
        var classes = new Option<string>("--classes") { Description = "Comma-separated class names of the image, e.g. disc,ring (the package's names, any case)", Required = true };
        var crf = new Option<bool>("--crf") { Description = "Also write the seeds refined by dense CRF" };
        var confident = new Option<bool>("--confident") { Description = "Also write IRN's confident labels (foreground and background passes, each CRF-refined; 255 where unsure)" };
        var rw = new Option<bool>("--rw") { Description = "Also write IRN's random-walk labels (needs a package with a boundary network)" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the pictures (created if missing)", Required = true };
        var traceSteps = new Option<bool>("--trace") { Description = "Print every climbing step: objective, logit term, regulariser, map peak and mass (local only)" };
        var label = new LabelParameterOptions();
        var command = new Command("attribute", "Class maps, seeds and optionally CRF labels of one image, written as PNGs")
        {
            package, server, model, retries, image, classes,
        };
        foreach (var option in label.MethodOptions) command.Options.Add(option);
        foreach (var option in (Option[])[crf, confident, rw, .. label.ConfidentOptions, output, traceSteps]) command.Options.Add(option);
        command.SetAction(result =>
        {
            var confidentOptions = result.GetValue(confident) ? label.Confident(result) : null;
            string? servers = result.GetValue(server);
            if ((servers is null) == (result.GetValue(package) is null))
                throw new UsageException("give either --package (attribute here) or --server (ask running servers), not both and not neither.");
            if (servers is not null)
            {
                if (result.GetValue(traceSteps)) throw new UsageException("--trace works with --package only: the server does not return per-step diagnostics.");
                return RunRemote(servers, result.GetValue(retries), result.GetValue(model), result.GetValue(image)!, result.GetValue(classes)!, result.GetValue(label.Method),
                    result.GetValue(label.Steps), result.GetValue(label.StepSize), result.GetValue(label.MaskWeight), result.GetValue(label.Threshold), result.GetValue(crf),
                    confidentOptions, result.GetValue(rw), result.GetValue(output)!, label.Fickle(result), label.ScaleList(result));
            }
            return Run(result.GetValue(package)!, result.GetValue(image)!, result.GetValue(classes)!, result.GetValue(label.Method),
                result.GetValue(label.Steps), result.GetValue(label.Threshold), result.GetValue(crf), confidentOptions, result.GetValue(output)!, result.GetValue(traceSteps),
                result.GetValue(label.StepSize), result.GetValue(label.MaskWeight), result.GetValue(rw), label.Fickle(result), label.ScaleList(result));
        });
        return command;
    }

    private static int Run(DirectoryInfo packageDirectory, FileInfo imageFile, string classList, MapMethod method, int? steps, float? threshold, bool crf,
        ConfidentChoice? confident, DirectoryInfo output, bool traceSteps, float? stepSize, float? maskWeight, bool randomWalk, FickleChoice fickle, IReadOnlyList<float>? scales)
    {
        if (traceSteps && method == MapMethod.FickleNet) throw new UsageException("--trace traces AdvCAM's climbing steps; FickleNet has none.");
        var kinds = new List<PseudoLabelKind> { PseudoLabelKind.Seeds };
        if (crf) kinds.Add(PseudoLabelKind.Crf);
        if (confident is not null) kinds.Add(PseudoLabelKind.Confident);
        if (randomWalk) kinds.Add(PseudoLabelKind.RandomWalk);
        using var pipeline = LocalPackage.Open(packageDirectory.FullName, method, kinds);
        var parameters = LocalPackage.Parameters(pipeline, method, new LabelOverrides
        {
            Steps = steps,
            StepSize = stepSize,
            MaskWeight = maskWeight,
            Scales = scales,
            BackgroundThreshold = threshold,
            ConfidentForeground = confident?.Foreground,
            ConfidentBackground = confident?.Background,
            DropRate = fickle.DropRate,
            Samples = fickle.Samples,
        }, kinds);
        var classes = LocalPackage.ResolveClasses(pipeline, classList.Split(','));
        if (classes.Count == 0) throw new UsageException("--classes names no class; give at least one, e.g. --classes disc.");
        var image = LocalPackage.ReadImage(imageFile.FullName, parameters.Maps.MaxSide);

        var trace = traceSteps ? new ClimbingTrace { RecordMaps = true } : null;
        var maps = trace is null ? pipeline.Maps(image, classes, parameters) : pipeline.Maps(image, classes, parameters.Maps, trace);
        Directory.CreateDirectory(output.FullName);
        var names = pipeline.ForegroundClasses;
        string stem = Path.GetFileNameWithoutExtension(imageFile.Name);
        var written = new List<string>();
        void Write(string name, byte[] bytes)
        {
            string path = Path.Combine(output.FullName, name);
            AtomicFile.WriteAllBytes(path, bytes);
            written.Add(path);
        }

        for (int k = 0; k < classes.Count; k++)
        {
            string name = names[classes[k]];
            Write($"{stem}_{name}_heatmap.png", PngEncoder.EncodeRgb(HeatMap.Overlay(image, maps.Full.Data, k)));
            Write($"{stem}_{name}_map.png", PngEncoder.EncodeGray(HeatMap.Gray(maps.Full.Data, k, maps.Width, maps.Height)));
        }
        var files = new Dictionary<PseudoLabelKind, string>
        {
            [PseudoLabelKind.Seeds] = "seeds",
            [PseudoLabelKind.Crf] = "crf",
            [PseudoLabelKind.Confident] = "confident",
            [PseudoLabelKind.RandomWalk] = "rw",
        };
        foreach (var kind in kinds) Write($"{stem}_{files[kind]}.png", PngEncoder.EncodeVocLabels(pipeline.Labels(kind, image, maps, parameters)));

        var o = parameters.Maps;
        string methodText = method switch
        {
            MapMethod.Cam => "CAM",
            MapMethod.Acol => "ACoL",
            MapMethod.FickleNet => $"FickleNet, drop rate {parameters.FickleNet!.DropRate:G3}, {parameters.FickleNet.Samples} selections",
            _ => $"AdvCAM, {o.Steps} steps, xi {o.StepSize:G3}, lambda {o.MaskWeight:G3}",
        };
        Console.WriteLine($"{imageFile.Name}: {methodText}, " +
            $"classes {string.Join(", ", classes.Select(c => names[c]))}, scales {ScaleText(o.Scales)}, " +
            $"background threshold {parameters.BackgroundThreshold:G3}");
        foreach (string path in written) Console.WriteLine($"  {path}");
        if (trace is not null) Console.Write(ClimbingTraceTable.Format(trace, classes.Select(c => names[c]).ToList(), o.MaskThreshold));
        return ExitCodes.Ok;
    }

    /// <summary>The same pictures from a server's Attribute reply (maps as float32, labels as VOC PNGs).</summary>
    private static int RunRemote(string servers, int retries, string? model, FileInfo imageFile, string classList, MapMethod method, int? steps,
        float? stepSize, float? maskWeight, float? threshold, bool crf, ConfidentChoice? confident, bool randomWalk, DirectoryInfo output, FickleChoice fickle,
        IReadOnlyList<float>? scales)
    {
        byte[] bytes = ImageFile.ReadBytes(imageFile);
        var request = new AttributeRequest
        {
            Image = RemoteCalls.Bytes(bytes),
            Method = method.ToWire(),
            Model = RemoteRelabelCommand.ModelSelector(model),
            FickleNet = LocalPackage.WireFickleOf(fickle),
            WantMaps = true,
            MapEncoding = MapEncoding.Float32,
            Labels = { LabelKind.Seeds },
        };
        request.Classes.AddRange(classList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (steps is not null || stepSize is not null || maskWeight is not null || scales is not null)
        {
            request.Parameters = new AdvCamParameters();
            if (steps is int t) request.Parameters.Steps = (uint)Math.Max(0, t);
            if (stepSize is float xi) request.Parameters.StepSize = xi;
            if (maskWeight is float lambda) request.Parameters.MaskWeight = lambda;
            if (scales is not null) request.Parameters.Scales.AddRange(scales);
        }
        if (threshold is float bg) request.BackgroundThreshold = bg;
        if (crf) request.Labels.Add(LabelKind.Crf);
        if (confident is not null)
        {
            request.Labels.Add(LabelKind.Confident);
            request.ConfidentThresholds = RemoteRelabelCommand.Thresholds(confident);
        }
        if (randomWalk) request.Labels.Add(LabelKind.RandomWalk);
        var reply = RemoteCalls.Attribute(servers, retries, request);
        var image = ImageFile.Decode(bytes, imageFile);
        var maps = RemoteCalls.Maps(reply, image.Width, image.Height);

        Directory.CreateDirectory(output.FullName);
        string stem = Path.GetFileNameWithoutExtension(imageFile.Name);
        var written = new List<string>();
        void Write(string name, byte[] data)
        {
            string path = Path.Combine(output.FullName, name);
            AtomicFile.WriteAllBytes(path, data);
            written.Add(path);
        }
        for (int k = 0; k < reply.Maps.Count; k++)
        {
            string name = reply.Maps[k].Name;
            Write($"{stem}_{name}_heatmap.png", PngEncoder.EncodeRgb(HeatMap.Overlay(image, maps, k)));
            Write($"{stem}_{name}_map.png", PngEncoder.EncodeGray(HeatMap.Gray(maps, k, image.Width, image.Height)));
        }
        Write($"{stem}_seeds.png", reply.Seeds.Png.ToByteArray());
        if (reply.Crf is not null) Write($"{stem}_crf.png", reply.Crf.Png.ToByteArray());
        if (reply.Confident is not null) Write($"{stem}_confident.png", reply.Confident.Png.ToByteArray());
        if (reply.RandomWalk is not null) Write($"{stem}_rw.png", reply.RandomWalk.Png.ToByteArray());
        var p = reply.Parameters;
        string methodText = method == MapMethod.FickleNet ? "FickleNet" : p.Steps == 1 ? "CAM" : $"AdvCAM, {p.Steps} steps, xi {p.StepSize:G3}, lambda {p.MaskWeight:G3}";
        Console.WriteLine($"{imageFile.Name}: {methodText}, classes {string.Join(", ", reply.Maps.Select(m => m.Name))}, scales {ScaleText(p.Scales)}, " +
            $"background threshold {reply.BackgroundThreshold:G3}; served by {reply.ServedBy.Name}/{reply.ServedBy.Version} in {reply.Timings.TotalMs:F0} ms");
        foreach (string path in written) Console.WriteLine($"  {path}");
        return ExitCodes.Ok;
    }

    /// <summary>The scales the maps were made at, as --scales takes them ("1,0.5").</summary>
    private static string ScaleText(IEnumerable<float> scales) => string.Join(",", scales.Select(x => x.ToString("G3", CultureInfo.InvariantCulture)));
}
