using System.CommandLine;
using Spectre.Console;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Imaging;
using WsssOnnx.Runtime;
using WsssOnnx.Runtime.Packages;
using WsssOnnx.Training.Data;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Trainer;

/// <summary>
/// `wsss-train make-seeds`: pseudo-label PNGs (VOC palette, 0 = background) for a dataset split from a package's
/// classifier, using the images' ground-truth class labels. Resumable: existing files are kept.
/// </summary>
internal static class MakeSeedsCommand
{
    public static Command Create()
    {
        var package = new Option<DirectoryInfo>("--package") { Description = "Model package folder (models/<name>/<version>)", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "VOC-layout dataset root", Required = true };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "train" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for <id>.png label maps", Required = true };
        var threshold = new Option<float>("--threshold") { Description = "Background threshold on the normalised maps", DefaultValueFactory = _ => 0.15f };
        var command = new Command("make-seeds", "Write CAM seed label maps for a dataset split (pseudo-labels for the segmenter)") { package, data, split, output, threshold };
        command.SetAction(r =>
        {
            var pkg = ModelPackage.Open(r.GetValue(package)!.FullName);
            var dataset = TrainClassifierCommand.OpenDataset(r.GetValue(data)!.FullName, r.GetValue(split)!, BadSamplePolicy.Skip);
            var source = new VocTrainingSource(dataset);
            string outDir = r.GetValue(output)!.FullName;
            Directory.CreateDirectory(outDir);
            using var classifier = ModelSession.Load(pkg.PathOf("classifier"));
            var cam = new AdvCamClimber(classifier, null, ImageNormalization.ImageNet);
            var problems = new List<string>();
            int written = 0, kept = 0;
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn()).Start(context =>
            {
                var task = context.AddTask("seeds", maxValue: source.Count);
                for (int i = 0; i < source.Count; i++, task.Increment(1))
                {
                    string path = Path.Combine(outDir, source.IdOf(i) + ".png");
                    if (File.Exists(path))
                    {
                        kept++;
                        continue;
                    }
                    try
                    {
                        var sample = source.Load(i);
                        var classes = Enumerable.Range(0, sample.Labels.Length).Where(c => sample.Labels[c] > 0.5f).ToArray();
                        var seeds = Seeds.FromMaps(cam.Climb(sample.Image, classes, AdvCamOptions.Cam), r.GetValue(threshold));
                        AtomicFile.WriteAllBytes(path, PngEncoder.EncodeVocLabels(seeds));
                        written++;
                    }
                    catch (Exception e) when (e is DatasetException or InvalidDataException or ImageDecodeException)
                    {
                        problems.Add($"{source.IdOf(i)}: {e.Message}");
                    }
                }
            });
            AnsiConsole.MarkupLine(Markup.Escape($"wrote {written} label maps, kept {kept} existing, {problems.Count} failed ({outDir})"));
            TrainClassifierCommand.ReportProblems(problems);
            return problems.Count == 0 ? 0 : 1;
        });
        return command;
    }
}
