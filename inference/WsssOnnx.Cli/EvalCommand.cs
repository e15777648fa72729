using System.CommandLine;
using WsssOnnx.Attribution.Evaluation;
using WsssOnnx.Imaging;

namespace WsssOnnx.Cli;

/// <summary>
/// `wsss eval`: mIoU of label maps (&lt;id&gt;.png, palette or grey indices) against a VOC split's SegmentationClass
/// ground truth, from one confusion matrix over all images (255 ignored). Missing predictions are counted, not scored.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var labels = new Option<DirectoryInfo>("--labels") { Description = "Folder of predicted <id>.png label maps", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "VOC-layout dataset root (SegmentationClass, ImageSets/Segmentation, classes.txt)", Required = true };
        var split = new Option<string>("--split") { Description = "Split list under ImageSets/Segmentation", DefaultValueFactory = _ => "val" };
        var command = new Command("eval", "Confusion-matrix mIoU of label maps against a dataset split's ground truth") { labels, data, split };
        command.SetAction(result => Run(result.GetValue(labels)!, result.GetValue(data)!, result.GetValue(split)!));
        return command;
    }

    private static int Run(DirectoryInfo labels, DirectoryInfo data, string splitName)
    {
        var split = VocSplit.Open(data.FullName, splitName);
        if (!labels.Exists) throw new CommandFailedException($"the labels folder {labels.FullName} does not exist.");
        var names = split.ClassNames()
            ?? throw new CommandFailedException($"{Path.Combine(data.FullName, "classes.txt")} is missing; it names the classes, background first.");
        if (names.Count is < 2 or > ConfusionMatrix.IgnoreLabel)
            throw new CommandFailedException($"classes.txt names {names.Count} classes; it needs 2 to {ConfusionMatrix.IgnoreLabel - 1}, background first.");

        var matrix = new ConfusionMatrix(names.Count);
        var decoder = new ImageDecoder();
        var missing = new List<string>();
        var failures = new List<string>();
        foreach (string id in split.Ids)
        {
            string prediction = Path.Combine(labels.FullName, id + ".png");
            if (!File.Exists(prediction))
            {
                missing.Add(id);
                continue;
            }
            try
            {
                var truth = decoder.DecodeLabels(File.ReadAllBytes(split.GroundTruthPath(id)));
                var predicted = decoder.DecodeLabels(File.ReadAllBytes(prediction));
                matrix.Accumulate(predicted, truth);
            }
            catch (Exception e) when (e is ImageDecodeException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"{id}: {e.Message}");
            }
        }

        int scored = split.Ids.Count - missing.Count - failures.Count;
        Console.WriteLine($"{split.Split}: {split.Ids.Count} images, {scored} scored, {missing.Count} predictions missing, {failures.Count} unreadable");
        Console.Write(matrix.ToTable(names));
        if (missing.Count > 0)
            Console.WriteLine($"missing predictions ({missing.Count}): {string.Join(", ", missing.Take(20))}{(missing.Count > 20 ? ", ..." : "")}");
        foreach (string failure in failures) Console.Error.WriteLine($"wsss eval: {failure}");
        if (scored == 0) throw new CommandFailedException($"no prediction in {labels.FullName} could be scored against the {split.Split} split.");
        return failures.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
