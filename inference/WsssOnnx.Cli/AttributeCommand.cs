using System.CommandLine;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Imaging;
using WsssOnnx.Runtime;

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
        var package = new Option<DirectoryInfo>("--package") { Description = "A model package folder (models/<name>/<version>)", Required = true };
        var image = new Option<FileInfo>("--image") { Description = "A JPEG or PNG image", Required = true };
        var classes = new Option<string>("--classes") { Description = "Comma-separated class names of the image, e.g. disc,ring (the package's names, any case)", Required = true };
        var method = new Option<AttributionMethod>("--method") { Description = "cam (plain CAM) or advcam (anti-adversarial climbing)", DefaultValueFactory = _ => AttributionMethod.AdvCam };
        var steps = new Option<int?>("--steps") { Description = "AdvCAM's climbing steps T (default: the package's)" };
        var threshold = new Option<float?>("--threshold") { Description = "Seed background threshold in [0, 1] (default: the package's, 0.15)" };
        var crf = new Option<bool>("--crf") { Description = "Also write the seeds refined by dense CRF" };
        var confident = new Option<bool>("--confident") { Description = "Also write IRN's confident labels (foreground and background passes, each CRF-refined; 255 where unsure)" };
        var fg = new Option<float?>("--fg-threshold") { Description = "Confident labels: background threshold of the foreground pass (default 0.35)" };
        var bg = new Option<float?>("--bg-threshold") { Description = "Confident labels: background threshold of the background pass (default 0.15)" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the pictures (created if missing)", Required = true };
        var command = new Command("attribute", "Class maps, seeds and optionally CRF labels of one image, written as PNGs")
        {
            package, image, classes, method, steps, threshold, crf, confident, fg, bg, output,
        };
        command.SetAction(result => Run(result.GetValue(package)!, result.GetValue(image)!, result.GetValue(classes)!, result.GetValue(method),
            result.GetValue(steps), result.GetValue(threshold), result.GetValue(crf), result.GetValue(confident) ? LabelModes.Confident(result.GetValue(fg), result.GetValue(bg)) : null,
            result.GetValue(output)!));
        return command;
    }

    private static int Run(DirectoryInfo packageDirectory, FileInfo imageFile, string classList, AttributionMethod method, int? steps, float? threshold, bool crf,
        ConfidentLabelOptions? confident, DirectoryInfo output)
    {
        using var attribution = PackageAttribution.Open(packageDirectory.FullName, method, steps, threshold, crf ? LabelMode.Crf : LabelMode.Seeds, confident);
        var classes = attribution.ResolveClasses(classList.Split(','));
        if (classes.Count == 0) throw new CommandFailedException("--classes names no class; give at least one, e.g. --classes disc.");
        var image = attribution.ReadImage(imageFile.FullName);

        var maps = attribution.Maps(image, classes);
        Directory.CreateDirectory(output.FullName);
        var names = attribution.ForegroundClasses;
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
        var seeds = attribution.Seeds(maps);
        Write($"{stem}_seeds.png", PngEncoder.EncodeVocLabels(seeds));
        if (crf) Write($"{stem}_crf.png", PngEncoder.EncodeVocLabels(attribution.Refine(image, maps)));
        if (confident is not null) Write($"{stem}_confident.png", PngEncoder.EncodeVocLabels(attribution.ConfidentLabels(image, maps)));

        Console.WriteLine($"{imageFile.Name}: {(method == AttributionMethod.Cam ? "CAM" : $"AdvCAM, {attribution.Options.Steps} steps")}, " +
            $"classes {string.Join(", ", classes.Select(c => names[c]))}, background threshold {attribution.BackgroundThreshold:G3}");
        foreach (string path in written) Console.WriteLine($"  {path}");
        return ExitCodes.Ok;
    }
}
