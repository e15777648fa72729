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
        var size = new Option<int>("--size") { Description = "Image width and height", DefaultValueFactory = _ => 160 };
        var classes = new Option<int>("--classes") { Description = $"Foreground classes (at most {SyntheticDatasetGenerator.MaxClasses})", DefaultValueFactory = _ => 8 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a dataset generated earlier in the same folder" };
        var command = new Command("make-dataset", "Write the synthetic dataset: objects recognisable from a small part, co-occurring, overlapping, on clutter") { output, train, val, size, classes, seed, overwrite };
        command.SetAction(r =>
        {
            var options = new SyntheticDatasetOptions
            {
                TrainImages = r.GetValue(train),
                ValImages = r.GetValue(val),
                Width = r.GetValue(size),
                Height = r.GetValue(size),
                Classes = r.GetValue(classes),
                Seed = r.GetValue(seed),
                Overwrite = r.GetValue(overwrite),
            }.Validate();
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
}
