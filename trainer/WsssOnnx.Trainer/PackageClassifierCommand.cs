using System.CommandLine;
using System.Globalization;
using Google.Protobuf;
using WsssOnnx.Datasets;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Import;
using WsssOnnx.Onnx;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using WsssOnnx.Training.Export;
using WsssOnnx.Training.Loop;
using WsssOnnx.Training.Metrics;

namespace WsssOnnx.Trainer;

/// <summary>
/// `wsss-train package-classifier`: a model package (classifier, AdvCAM climber) from an external CAM-style ONNX classifier,
/// e.g. a torchvision ResNet or MobileNetV2 exported with torch.onnx.export (docs/training.md, "Bring your own classifier").
/// </summary>
internal static class PackageClassifierCommand
{
    /// <summary>Largest difference between the package's logits and the source model's, relative to the largest logit, accepted.</summary>
    private const double LogitTolerance = 1e-3;

    public static Command Create()
    {
        var onnx = new Option<FileInfo>("--onnx") { Required = true, Description = "The classifier: an ONNX file (opset 11-17) with features, global average pooling and a linear head" };
        var classes = new Option<FileInfo>("--classes") { Required = true, Description = "Text file with one class name a line, in the head's output order (no background)" };
        var features = new Option<string?>("--features") { Description = "Name of the feature map the head pools (default: found from the head)" };
        var head = new Option<string?>("--head") { Description = "Name of the head's Gemm/MatMul node, its output or its weight (default: the last one after a global average pooling)" };
        var mean = new Option<float[]>("--mean")
        {
            Description = "Per-channel mean of the model's input normalisation, x = (pixel / 255 - mean) / std (default: ImageNet's)",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => InputNormalization.ImageNet.Mean,
        };
        var std = new Option<float[]>("--std")
        {
            Description = "Per-channel std of the input normalisation (default: ImageNet's)",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => InputNormalization.ImageNet.Std,
        };
        var trainingSize = new Option<int>("--training-size") { Description = "Image side the classifier was trained at (the server's warm-up size)", DefaultValueFactory = _ => 224 };
        var dilate = new Option<bool>("--dilate-last-stage") { Description = "Halve the output stride (32 to 16): the last stage's downsampling convolution at stride 1, later ones dilated by 2" };
        var output = new Option<DirectoryInfo>("--out") { Required = true, Description = "The package folder to write, models/NAME/VERSION (must not exist)" };
        var data = new Option<DirectoryInfo?>("--data")
        {
            Description = "A VOC-layout dataset with the same classes to measure the package on, as export does (mAP, CAM and AdvCAM seeds); its best seed thresholds become the defaults",
        };
        var split = new Option<string>("--split") { Description = $"With --data, the split to measure on: {VocLayout.SplitHelp}", DefaultValueFactory = _ => "val" };
        var thresholdImages = new Option<int>("--threshold-images")
        {
            Description = "With --data, the first N images measure AdvCAM's seed threshold (CAM's uses all); 0: skip, AdvCAM ships CAM's threshold",
            DefaultValueFactory = _ => PackageEvaluation.DefaultThresholdImages,
        };
        var command = new Command("package-classifier", "Write a model package (classifier and AdvCAM climber ONNX + manifest) from your own ONNX classifier")
        {
            onnx, classes, features, head, mean, std, trainingSize, dilate, output, data, split, thresholdImages,
        };
        command.SetAction(r =>
        {
            var normalization = new InputNormalization(Triple(r.GetValue(mean)!, "--mean"), Triple(r.GetValue(std)!, "--std"));
            if (normalization.Std.Any(s => !(s > 0f))) throw new UsageException("--std values must be positive.");
            int size = r.GetValue(trainingSize);
            if (size is < 16 or > 4096) throw new UsageException($"--training-size must be between 16 and 4096; got {size}.");
            var outDir = r.GetValue(output)!;
            string version = outDir.Name, name = outDir.Parent?.Name ?? "", root = outDir.Parent?.Parent?.FullName ?? "";
            if (root.Length == 0) throw new UsageException($"--out {outDir.FullName} must be models/NAME/VERSION.");

            int sweepImages = r.GetValue(thresholdImages);
            UsageException.Check(sweepImages >= 0, $"--threshold-images must be 0 or more; got {sweepImages}.");

            string sourcePath = r.GetValue(onnx)!.FullName;
            var model = ModelFile.Read(sourcePath);
            var names = File.ReadAllLines(r.GetValue(classes)!.FullName).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            VocTrainingSource? validation = null;
            if (r.GetValue(data) is { } dataRoot)
            {
                validation = new VocTrainingSource(TrainClassifierCommand.OpenDataset(dataRoot.FullName, r.GetValue(split)!, BadSamplePolicy.Skip));
                if (!validation.Classes.SequenceEqual(names))
                    throw new InvalidDataException($"the dataset {dataRoot.FullName} has classes {string.Join(", ", validation.Classes)}, but --classes names {string.Join(", ", names)}");
            }
            var imported = OnnxClassifier.Read(model, new OnnxImportOptions { Features = r.GetValue(features), Head = r.GetValue(head), DilateLastStage = r.GetValue(dilate) });
            int stride = imported.MeasureStride();
            var settings = new Dictionary<string, string>
            {
                ["source"] = Path.GetFileName(sourcePath),
                ["source_sha256"] = ModelPackage.Sha256(sourcePath),
                ["features"] = imported.FeaturesName,
                ["head"] = imported.HeadName,
                ["folded_batch_norms"] = imported.FoldedNorms.ToString(CultureInfo.InvariantCulture),
                ["dilate_last_stage"] = r.GetValue(dilate) ? "true" : "false",
            };
            var provenance = new Provenance
            {
                Dataset = "imported",
                Commands = ["wsss-train " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1))],
                Settings = settings,
            };
            string written = PackageExporter.ExportImported(root, name, version, names, imported, normalization, size, provenance,
                staged => Measure(staged, model, size, r.GetValue(dilate), validation, sweepImages));
            // One unwrapped line (Spectre wraps at the console width), for logs and scripts.
            Console.WriteLine($"wrote {written}: {imported.Classes} classes, {imported.FeatureChannels} feature channels at stride {stride}, " +
                $"{imported.BackboneNodes} backbone nodes ({imported.FoldedNorms} BatchNormalization folded)");
            return 0;
        });
        return command;
    }

    private static float[] Triple(float[] values, string option) =>
        values.Length == 3 ? values : throw new UsageException($"{option} takes three values (R G B); got {values.Length}.");

    /// <summary>
    /// <see cref="Compare"/>, then with a dataset what `wsss-train export` measures (<see cref="PackageEvaluation.Measure"/>):
    /// mAP, CAM and AdvCAM seed mIoU, and the best seed background thresholds, which the package ships as its defaults.
    /// </summary>
    private static PackageMeasurement Measure(ModelPackage staged, ModelProto source, int size, bool dilated, VocTrainingSource? validation, int sweepImages)
    {
        var compared = Compare(staged, source, size, dilated);
        if (validation is null) return compared;
        var measured = PackageEvaluation.Measure(staged, validation, sweepImages, Console.Out);
        var metrics = new Dictionary<string, double>(compared.Metrics);
        foreach (var (key, value) in measured.Metrics) metrics[key] = value;
        return measured with { Metrics = metrics };
    }

    /// <summary>
    /// The package's logits against the source model's on ONNX Runtime for one random image (the source's input size when fixed),
    /// recorded as metric "source_logit_difference"; a package that does not compute the source's function is not written.
    /// A dilated package computes another function, so only its files are loaded.
    /// </summary>
    private static PackageMeasurement Compare(ModelPackage staged, ModelProto source, int size, bool dilated)
    {
        var config = new SessionConfig { WarmUp = false };
        using var ours = ModelSession.Load(staged.PathOf(PackageRoles.Classifier), config);
        using (ModelSession.Load(staged.PathOf(PackageRoles.Climber), config)) { }
        if (dilated) return new PackageMeasurement(new Dictionary<string, double>());

        var input = source.Graph.Input.First(i => source.Graph.Initializer.All(t => t.Name != i.Name));
        var dims = input.Type.TensorType.Shape.Dim;
        long Side(int axis) => dims.Count == 4 && dims[axis].DimValue > 0 ? dims[axis].DimValue : size;
        long[] shape = [1, 3, Side(2), Side(3)];
        var rng = new Random(0);
        var image = new HostTensor<float>([.. Enumerable.Range(0, (int)HostTensor<float>.ElementCount(shape)).Select(_ => (float)(rng.NextDouble() * 2 - 1))], shape);

        float[] expected, actual;
        using (var theirs = ModelSession.Load(source.ToByteArray(), "source", config))
            expected = RunLogits(theirs, input.Name, source.Graph.Output[0].Name, image);
        actual = RunLogits(ours, ClassifierContract.Image, ClassifierContract.Logits, image);
        if (expected.Length != actual.Length) throw new InvalidDataException($"the source model's first output has {expected.Length} values, the package's logits {actual.Length}");
        double scale = expected.Max(v => Math.Abs((double)v)), worst = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
        double relative = worst / Math.Max(scale, 1e-12);
        if (relative > LogitTolerance)
            throw new InvalidDataException($"the package's logits differ from the source model's by {relative:G3} of the largest logit (at most {LogitTolerance:G1} is accepted)");
        return new PackageMeasurement(new Dictionary<string, double> { ["source_logit_difference"] = relative });
    }

    private static float[] RunLogits(ModelSession session, string inputName, string outputName, HostTensor<float> image)
    {
        using var feed = SessionInput.Create(inputName, image);
        using var result = session.Run([feed], [outputName]);
        return result.Span<float>(outputName).ToArray();
    }
}
