using System.CommandLine;
using Spectre.Console;
using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Datasets;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Trainer;

/// <summary>
/// `wsss-train make-seeds`: pseudo-label PNGs (VOC palette, 0 = background) for a dataset split from a package's CAM or
/// AdvCAM maps, using the images' ground-truth class labels. Resumable: existing files are kept.
/// </summary>
internal static class MakeSeedsCommand
{
    private const string Cam = "cam";
    private const string AdvCam = "advcam";

    public static Command Create()
    {
        var package = new Option<DirectoryInfo>("--package") { Description = "Model package folder (models/<name>/<version>)", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = VocLayout.RootHelp, Required = true };
        var split = new Option<string>("--split") { Description = $"The split to label: {VocLayout.SplitHelp}", DefaultValueFactory = _ => "train" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for <id>.png label maps", Required = true };
        var method = new Option<string>("--method") { Description = "cam (plain CAM) or advcam (the package's climber and AdvCAM defaults)", DefaultValueFactory = _ => Cam };
        method.AcceptOnlyFromAmong(Cam, AdvCam);
        var threshold = new Option<float?>("--threshold") { Description = "Background threshold on the normalised maps (default: the package's for the method, measured by export)" };
        var command = new Command("make-seeds", "Write CAM or AdvCAM seed label maps for a dataset split (pseudo-labels for the segmenter)") { package, data, split, output, method, threshold };
        command.SetAction(r =>
        {
            bool climb = r.GetValue(method) == AdvCam;
            // The package pipeline, as relabel and the service use it: the manifest's normalisation, scales, AdvCAM's T, xi,
            // lambda, tau with the package's climber, and the seed threshold of the method.
            using var pipeline = PackagePipeline.Open(r.GetValue(package)!.FullName, climb ? PipelineNetworks.Climber : PipelineNetworks.Classifier);
            LabelParameters parameters;
            try
            {
                parameters = pipeline.Parameters(climb ? MapMethod.AdvCam : MapMethod.Cam, new LabelOverrides { BackgroundThreshold = r.GetValue(threshold) });
            }
            catch (LabelParameterException e)
            {
                if (e.Parameter == LabelParameter.BackgroundThreshold) throw new UsageException($"--threshold: {e.Message}.", e);
                throw new InvalidDataException($"the package's AdvCAM defaults: {e.Message}.", e);
            }
            catch (MissingNetworkException e)
            {
                throw new InvalidDataException($"{e.Directory} has no climber.onnx, which AdvCAM needs: use --method cam", e);
            }
            var options = parameters.Maps;
            float bg = parameters.BackgroundThreshold;
            var dataset = TrainClassifierCommand.OpenDataset(r.GetValue(data)!.FullName, r.GetValue(split)!, BadSamplePolicy.Skip);
            var source = new VocTrainingSource(dataset);
            string outDir = r.GetValue(output)!.FullName;
            Directory.CreateDirectory(outDir);
            Console.WriteLine($"{(climb ? $"AdvCAM ({options.Steps} steps, xi {options.StepSize:G3}, lambda {options.MaskWeight:G3})" : "CAM")} " +
                $"at scales {string.Join(", ", options.Scales)}, background threshold {bg:G3} ({(r.GetValue(threshold) is null ? "the package's" : "--threshold")})");
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
                        var seeds = pipeline.Labels(PseudoLabelKind.Seeds, sample.Image, pipeline.Maps(sample.Image, classes, parameters), parameters);
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
