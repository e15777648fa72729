using System.Text.Json;
using WsssOnnx.Imaging;

namespace WsssOnnx.Cli.Tests;

/// <summary>
/// The README's pipeline on a VOC set we did not write with make-dataset (<see cref="ForeignVocDataset"/>: mixed
/// non-square sizes, greyscale JPEGs, grey index masks, VOC 2012's classes from the missing classes.txt): train,
/// export with both thresholds measured, CAM and AdvCAM labels and maps, the threshold sweep with CRF, a segmenter
/// and its labels. Every label map has its image's size, and every score is over the classes the set holds.
/// </summary>
public sealed class ForeignDatasetPipelineTests(ForeignVocDataset data) : IClassFixture<ForeignVocDataset>
{
    private static (int ExitCode, string Stdout, string Stderr) Ok((int ExitCode, string Stdout, string Stderr) run, string step)
    {
        Assert.True(run.ExitCode == 0, $"{step} failed ({run.ExitCode}): {run.Stdout}{run.Stderr}");
        return run;
    }

    private void AssertLabelMapsFitTheirImages(string folder, string split)
    {
        var decoder = new ImageDecoder();
        var ids = data.Ids(split);
        Assert.Equal(ids.Order(), Directory.GetFiles(folder, "*.png").Select(Path.GetFileNameWithoutExtension).Order());
        foreach (string id in ids)
        {
            GrayImage labels = decoder.DecodeLabels(File.ReadAllBytes(Path.Combine(folder, id + ".png")));
            Assert.Equal(data.ImageSizes[id], (labels.Width, labels.Height));
            Assert.All(labels.Pixels, v => Assert.True(v <= 20, $"{id}: label {v} is not a VOC 2012 class"));
        }
    }

    [Fact]
    public void Mixed_sizes_greyscale_jpegs_and_grey_masks_go_through_the_whole_pipeline()
    {
        Assert.Contains(data.ImageSizes.Values, s => s.Width != s.Height);
        Assert.Contains(data.GreyIds, data.Ids("val").Contains);
        RgbImage grey = new ImageDecoder().DecodeRgb(File.ReadAllBytes(Path.Combine(data.Root, "JPEGImages", data.GreyIds[0] + ".jpg")));
        Assert.All(Enumerable.Range(0, grey.Width * grey.Height), i => Assert.Equal(grey.Pixels[3 * i], grey.Pixels[3 * i + 2]));
        using var workFolder = new TempFolder("wsss-foreign-run-");
        string work = workFolder.Path;
        string cls = Path.Combine(work, "cls"), seg = Path.Combine(work, "seg"), models = Path.Combine(work, "models");

        var train = Ok(CliProcess.RunTrainer("train-classifier", "--data", data.Root, "--run", cls, "--epochs", "1", "--batch", "2", "--crop", "64",
            "--width", "8", "--val-split", "val"), "train-classifier");
        Assert.Contains("(20 classes)", train.Stdout);
        Ok(CliProcess.RunTrainer("export", "--classifier-run", cls, "--models", models, "--version", "1", "--data", data.Root, "--threshold-images", "2"), "export");
        string v1 = Path.Combine(models, "default", "1");
        var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(v1, "manifest.json"))).RootElement.GetProperty("metrics");
        Assert.Equal(2, metrics.GetProperty("advcam_seed_images").GetInt32());
        Assert.InRange(metrics.GetProperty("cam_seed_best_miou").GetDouble(), 0, 1);

        foreach (string method in (string[])["cam", "advcam"])
        {
            string labels = Path.Combine(work, method), maps = Path.Combine(work, method + "-maps");
            Ok(CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", v1, "--data", data.Root, "--split", "val", "--method", method,
                "--steps", "3", "--scales", "1,0.5", "--out", labels, "--save-maps", maps), "relabel " + method);
            AssertLabelMapsFitTheirImages(labels, "val");
            var sweep = Ok(CliProcess.Run(CliProcess.BuildDirectory, "eval", "--maps", maps, "--data", data.Root, "--split", "val", "--crf"), "eval --maps " + method);
            Assert.Contains("of 21 classes", sweep.Stdout);
        }

        string trainLabels = Path.Combine(work, "train-labels");
        Ok(CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", v1, "--data", data.Root, "--split", "train", "--method", "cam",
            "--mode", "crf", "--out", trainLabels), "relabel train");
        AssertLabelMapsFitTheirImages(trainLabels, "train");
        Ok(CliProcess.RunTrainer("train-segmenter", "--data", data.Root, "--labels", trainLabels, "--run", seg, "--epochs", "1", "--batch", "2",
            "--crop", "64", "--width", "8", "--val-split", "val"), "train-segmenter");
        Ok(CliProcess.RunTrainer("export", "--package", v1, "--segmenter-run", seg, "--models", models, "--version", "2", "--data", data.Root), "export --package");
        string segmented = Path.Combine(work, "segmented");
        Ok(CliProcess.Run(CliProcess.BuildDirectory, "segment", "--package", Path.Combine(models, "default", "2"), "--data", data.Root, "--split", "val",
            "--out", segmented), "segment --data");
        AssertLabelMapsFitTheirImages(segmented, "val");
        var eval = Ok(CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", segmented, "--data", data.Root, "--split", "val"), "eval --labels");
        Assert.Contains("of 21 classes", eval.Stdout);
    }
}
