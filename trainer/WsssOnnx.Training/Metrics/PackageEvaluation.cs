using WsssOnnx.Attribution.Evaluation;
using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Packages;
using WsssOnnx.Training.Export;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Training.Metrics;

/// <summary>
/// What `wsss-train export` measures on a staged package over the validation split, with the package's own normalisation,
/// scales and AdvCAM defaults: classifier mAP; CAM seeds on every image and AdvCAM seeds on the first few, each with the best
/// background threshold of <see cref="SeedThresholdGrid.Default"/>, which the package then ships; the segmenter's mIoU;
/// the random walk's mIoU (IRN's labels from the package's CAM maps and boundary network) when it has a boundary network.
/// </summary>
public static class PackageEvaluation
{
    /// <summary>Validation images of the AdvCAM threshold sweep by default: AdvCAM climbs T steps at every scale for every class.</summary>
    public const int DefaultThresholdImages = 60;

    /// <param name="thresholdImages">The first this many images measure AdvCAM's threshold; 0 skips it and ships CAM's threshold for both.</param>
    /// <param name="log">Receives the results and the AdvCAM sweep's progress, line by line.</param>
    public static PackageMeasurement Measure(ModelPackage package, ITrainingSource validation, int thresholdImages, TextWriter log)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(thresholdImages);
        var metrics = new Dictionary<string, double>();
        // The pipeline's default sessions: no warm-up run, which would guess free dimensions as 1, a batch the climber's
        // two copies reject (ORT then printed an error although nothing failed).
        using var pipeline = PackagePipeline.Open(package);
        var scores = new List<float[]>();
        var truth = new List<float[]>();
        for (int i = 0; i < validation.Count; i++)
        {
            var sample = validation.Load(i);
            scores.Add(pipeline.Logits(sample.Image));
            truth.Add(sample.Labels);
        }
        metrics["val_map"] = AveragePrecision.Mean(scores, truth);
        log.WriteLine($"val mAP {metrics["val_map"]:F3} on {validation.Count} images; measuring CAM seeds...");

        var cam = CamSeedEvaluation.Evaluate(pipeline, pipeline.Parameters(MapMethod.Cam), validation);
        metrics["cam_seed_miou"] = cam.MeanIoUAtDefault;
        metrics["cam_seed_best_miou"] = cam.BestMeanIoU;
        metrics["cam_seed_best_threshold"] = cam.BestThreshold;
        metrics["cam_seed_object_coverage"] = cam.ForegroundCoverage;
        metrics["cam_seed_precision"] = cam.ForegroundPrecision;
        log.WriteLine($"CAM seed mIoU {cam.MeanIoUAtDefault:F3} at threshold {cam.DefaultThreshold}, best {cam.BestMeanIoU:F3} at {cam.BestThreshold}; " +
            $"objects covered {cam.ForegroundCoverage:P1}, precision {cam.ForegroundPrecision:P1}");
        log.WriteLine(cam.AtDefault.ToTable(["background", .. validation.Classes]));
        if (cam.EdgeWarning("CAM") is { } camWarning) log.WriteLine(camWarning);

        float advCamThreshold = MeasureAdvCam(pipeline, validation, thresholdImages, metrics, log) ?? cam.BestThreshold;

        MeasureNetworks(pipeline, validation, metrics, log);
        log.WriteLine($"seed background thresholds shipped: CAM {cam.BestThreshold}, AdvCAM {advCamThreshold}");
        return new PackageMeasurement(metrics, cam.BestThreshold, advCamThreshold);
    }

    /// <summary>
    /// The segmenter's and/or the random walk's mIoU only: what a package derived from another (same classifier, new
    /// segmenter or boundary network; <see cref="PackageExporter.Derive"/>) changes. The other keeps its source's figure.
    /// </summary>
    public static PackageMeasurement MeasureNetworks(ModelPackage package, ITrainingSource validation, TextWriter log, bool segmenter = true, bool walk = true)
    {
        var metrics = new Dictionary<string, double>();
        var networks = (segmenter ? PipelineNetworks.Segmenter : PipelineNetworks.Classifier) | (walk ? PipelineNetworks.Boundary : PipelineNetworks.Classifier);
        using var pipeline = PackagePipeline.Open(package, networks);
        MeasureNetworks(pipeline, validation, metrics, log);
        return new PackageMeasurement(metrics);
    }

    /// <summary>The segmenter's mIoU and the random walk's (from CAM maps), each where the pipeline has loaded the network.</summary>
    private static void MeasureNetworks(PackagePipeline pipeline, ITrainingSource validation, Dictionary<string, double> metrics, TextWriter log)
    {
        if (pipeline.CanSegment)
        {
            var matrix = SegmentationEvaluation.Evaluate(pipeline.Segment, validation);
            metrics["segmenter_miou"] = matrix.MeanIntersectionOverUnion;
            log.WriteLine($"segmenter mIoU {matrix.MeanIntersectionOverUnion:F3}");
        }
        if (pipeline.CanRandomWalk)
        {
            log.WriteLine($"measuring random-walk labels (CAM maps walked over the boundary network) on {validation.Count} images...");
            var parameters = pipeline.Parameters(MapMethod.Cam, kinds: [PseudoLabelKind.RandomWalk]);
            var matrix = new ConfusionMatrix(validation.Classes.Count + 1);
            var progress = new ProgressLines(log, "random walk", validation.Count);
            for (int i = 0; i < validation.Count; i++)
            {
                var sample = validation.Load(i, withMask: true);
                if (sample.Mask is not null)
                {
                    var classes = Enumerable.Range(0, sample.Labels.Length).Where(c => sample.Labels[c] > 0.5f).ToArray();
                    var maps = pipeline.Maps(sample.Image, classes, parameters);
                    matrix.Accumulate(pipeline.Labels(PseudoLabelKind.RandomWalk, sample.Image, maps, parameters), sample.Mask);
                }
                progress.Report(i + 1);
            }
            metrics["random_walk_miou"] = matrix.MeanIntersectionOverUnion;
            log.WriteLine($"random-walk label mIoU {matrix.MeanIntersectionOverUnion:F3} (from CAM maps)");
        }
    }

    /// <summary>AdvCAM seeds on the first <paramref name="images"/> images with the package's defaults; their best threshold, or null when not measured.</summary>
    private static float? MeasureAdvCam(PackagePipeline pipeline, ITrainingSource validation, int images, Dictionary<string, double> metrics, TextWriter log)
    {
        if (images == 0 || !pipeline.CanClimb)
        {
            log.WriteLine($"AdvCAM seeds not measured ({(images == 0 ? "0 threshold images" : "the package has no climber")}): AdvCAM ships CAM's best threshold");
            return null;
        }
        var parameters = pipeline.Parameters(MapMethod.AdvCam);
        var options = parameters.Maps;
        int count = Math.Min(images, validation.Count);
        log.WriteLine($"measuring AdvCAM seeds on the first {count} of {validation.Count} images ({options.Steps} steps x {options.Scales.Count} scales per class)...");
        var seeds = CamSeedEvaluation.Evaluate(pipeline, parameters, validation, count, new ProgressLines(log, "AdvCAM seeds", count));
        metrics["advcam_seed_miou"] = seeds.MeanIoUAtDefault;
        metrics["advcam_seed_best_miou"] = seeds.BestMeanIoU;
        metrics["advcam_seed_best_threshold"] = seeds.BestThreshold;
        metrics["advcam_seed_images"] = seeds.Images;
        log.WriteLine($"AdvCAM seed mIoU {seeds.MeanIoUAtDefault:F3} at threshold {seeds.DefaultThreshold}, best {seeds.BestMeanIoU:F3} at {seeds.BestThreshold} ({seeds.Images} images)");
        if (seeds.EdgeWarning("AdvCAM") is { } warning) log.WriteLine(warning);
        return seeds.BestThreshold;
    }
}
