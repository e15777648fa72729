using System.CommandLine;
using Spectre.Console;
using WsssOnnx.Training.Data;

namespace WsssOnnx.Trainer;

/// <summary>`wsss-train make-dataset`: the synthetic weakly supervised dataset in VOC layout (see trainer/WsssOnnx.Training/Data/SYNTHETIC.md).</summary>
internal static class MakeDatasetCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Dataset root to write (VOC layout)", Required = true };
        var train = new Option<int>("--train") { Description = "Training images", DefaultValueFactory = _ => 2000 };
        var val = new Option<int>("--val") { Description = "Validation images", DefaultValueFactory = _ => 500 };
        var size = new Option<int>("--size") { Description = "Image width and height", DefaultValueFactory = _ => 224 };
        var classes = new Option<int>("--classes") { Description = $"Foreground classes (at most {SyntheticDatasetGenerator.MaxClasses})", DefaultValueFactory = _ => 8 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var defaults = new SyntheticDatasetOptions();
        var objectSize = new Option<double[]>("--object-size")
        {
            Description = $"Body diameter range MIN MAX as fractions of the image side (default {defaults.MinObjectSize} {defaults.MaxObjectSize})",
            AllowMultipleArgumentsPerToken = true,
        };
        var badgeSize = new Option<double[]>("--badge-size")
        {
            Description = $"Badge diameter range MIN MAX as fractions of the body diameter (default {defaults.MinBadgeSize} {defaults.MaxBadgeSize})",
            AllowMultipleArgumentsPerToken = true,
        };
        var minBadgePixels = new Option<int>("--min-badge-pixels") { Description = "Floor on the badge diameter in pixels", DefaultValueFactory = _ => defaults.MinBadgePixels };
        var bodyCueSpread = new Option<double>("--body-cue-spread")
        {
            Description = "Spread of the class-dependent body hue and stripe angle in class spacings (0: bodies as telling as badges)",
            DefaultValueFactory = _ => defaults.BodyCueSpread,
        };
        var bodySignature = new Option<double>("--body-signature")
        {
            Description = "Contrast (0 to 1) of a faint class-specific grating on object bodies only, never on distractors (0: none)",
            DefaultValueFactory = _ => defaults.BodySignature,
        };
        var bodyEcho = new Option<double>("--body-echo")
        {
            Description = "Opacity (0 to 1) of faint copies of each object's badge printed over its body (0: none)",
            DefaultValueFactory = _ => defaults.BodyEcho,
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a dataset generated earlier in the same folder" };
        var command = new Command("make-dataset", "Write the synthetic dataset: objects recognisable from a small part, co-occurring, overlapping, on clutter")
        {
            output,
            train,
            val,
            size,
            classes,
            seed,
            objectSize,
            badgeSize,
            minBadgePixels,
            bodyCueSpread,
            bodySignature,
            bodyEcho,
            overwrite,
        };
        command.SetAction(r =>
        {
            var options = UsageException.Validated(new SyntheticDatasetOptions
            {
                TrainImages = r.GetValue(train),
                ValImages = r.GetValue(val),
                Width = r.GetValue(size),
                Height = r.GetValue(size),
                Classes = r.GetValue(classes),
                Seed = r.GetValue(seed),
                MinObjectSize = Range(r.GetValue(objectSize), "--object-size")?.Min ?? defaults.MinObjectSize,
                MaxObjectSize = Range(r.GetValue(objectSize), "--object-size")?.Max ?? defaults.MaxObjectSize,
                MinBadgeSize = Range(r.GetValue(badgeSize), "--badge-size")?.Min ?? defaults.MinBadgeSize,
                MaxBadgeSize = Range(r.GetValue(badgeSize), "--badge-size")?.Max ?? defaults.MaxBadgeSize,
                MinBadgePixels = r.GetValue(minBadgePixels),
                BodyCueSpread = r.GetValue(bodyCueSpread),
                BodySignature = r.GetValue(bodySignature),
                BodyEcho = r.GetValue(bodyEcho),
                Overwrite = r.GetValue(overwrite),
            }.Validate);
            string root = r.GetValue(output)!.FullName;
            SyntheticDatasetSummary? summary = null;
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn()).Start(context =>
            {
                var task = context.AddTask("generating", maxValue: options.TrainImages + options.ValImages);
                summary = SyntheticDatasetGenerator.Generate(root, options, new Progress<int>(n => task.Value = n));
                task.Value = task.MaxValue;
            });
            Console.WriteLine(summary!.Format());
            return 0;
        });
        return command;
    }

    private static (double Min, double Max)? Range(double[]? values, string name) => values switch
    {
        null or [] => null,
        [double min, double max] => (min, max),
        _ => throw new UsageException($"{name} takes two numbers, MIN MAX; got {values.Length}."),
    };
}
