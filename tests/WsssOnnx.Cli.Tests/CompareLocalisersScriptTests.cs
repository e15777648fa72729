using System.Diagnostics;
using System.Globalization;

namespace WsssOnnx.Cli.Tests;

/// <summary>
/// scripts/compare-localisers end to end on the tiny synthetic set with a tiny from-scratch recipe (width 4, one epoch,
/// AdvCAM of 2 steps, FickleNet of 2 selections, scale 1): every row of the table with its numbers, the commands it ran,
/// a rerun that redoes only what was deleted, and bad options refused before anything runs.
/// </summary>
public sealed class CompareLocalisersScriptTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    private static readonly string Script = Path.Combine(CliProcess.RepoRoot, "scripts", "compare-localisers");

    private static readonly (string Classifier, string Maps)[] Rows =
    [
        ("plain", "CAM"), ("plain", "AdvCAM"), ("plain", "FickleNet"), ("ECS-Net", "CAM"), ("ECS-Net", "AdvCAM"), ("ECS-Net", "FickleNet"),
        ("ACoL", "ACoL's fused map"), ("ACoL", "AdvCAM on the fused map"),
    ];

    private string[] Recipe(string output) =>
    [
        "--data", data.Root, "--out", output, "--val-images", "3", "--epochs", "1", "--batch", "2", "--crop", "48", "--scales", "1",
        "--train-args", "--width 4 --seed 0", "--relabel-args", "--steps 2 --samples 2",
    ];

    [Fact]
    public void It_prints_every_row_with_numbers_in_range_and_a_rerun_redoes_only_what_is_missing()
    {
        using var folder = new TempFolder("wsss-compare-");
        string output = Path.Combine(folder.Path, "comparison");
        var (code, stdout, stderr) = Run(Recipe(output));
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        Assert.Contains("expected cost on 2 cores", stdout);

        var table = TableRows(File.ReadAllText(Path.Combine(output, "table.md")));
        Assert.Equal(Rows, table.Select(r => (r[0], r[1])));
        foreach (var row in table)
        {
            float threshold = Number(row[2].Replace(" (grid edge)", ""));
            Assert.InRange(threshold, 0.0001f, 0.95f);
            Assert.InRange(Number(row[3]), 0f, 100f);
            Assert.InRange(Number(row[4]), 0f, 100f);
            Assert.True(Number(row[5]) >= 0f, $"s / image {row[5]}");
        }
        Assert.Contains(File.ReadAllText(Path.Combine(output, "table.md")).Split('\n')[2], stdout);

        // The commands: three trainings (plain, --ecs, --acol) and exports, a relabel per row at scale 1 with the
        // pass-through options, and per row a coarse sweep, a fine one and the CRF at one threshold.
        var commands = File.ReadAllLines(Path.Combine(output, "commands.txt")).Skip(1).ToList();
        var training = commands.Where(c => c.Contains(" train-classifier ")).ToList();
        Assert.Equal(3, training.Count);
        Assert.All(training, c => Assert.Contains("--epochs 1 --batch 2 --crop 48", c));
        Assert.Single(training, c => c.Contains(" --ecs "));
        Assert.Single(training, c => c.Contains(" --acol "));
        Assert.Equal(3, commands.Count(c => c.Contains(" export ") && c.Contains("--threshold-images 0")));
        var relabels = commands.Where(c => c.Contains(" relabel ")).ToList();
        Assert.Equal(8, relabels.Count);
        Assert.All(relabels, c => Assert.Contains("--scales 1 ", c));
        Assert.All(relabels, c => Assert.EndsWith("--steps 2 --samples 2", c));
        Assert.Equal(8, commands.Count(c => c.Contains(" eval ") && c.Contains(" --crf")));
        Assert.Equal(24, commands.Count(c => c.Contains(" eval ")));

        // An interrupted comparison: one row's relabel step and one of its maps are gone. The rerun relabels that one
        // image, skips every other step, and leaves the trained classifier as it was.
        string checkpoint = Path.Combine(output, "runs", "plain", "checkpoint.onnx");
        var trained = File.GetLastWriteTimeUtc(checkpoint);
        string firstId = File.ReadAllLines(Path.Combine(output, "lists", "val.txt"))[0];
        File.Delete(Path.Combine(output, "steps", "relabel-plain-advcam"));
        File.Delete(Path.Combine(output, "maps", "plain-advcam", firstId + ".maps"));
        (code, stdout, stderr) = Run(Recipe(output));
        Assert.True(code == 0, $"rerun: exit {code}: {stdout}{stderr}");
        Assert.Equal(37, stdout.Split('\n').Count(l => l.EndsWith("done earlier, skipped", StringComparison.Ordinal)));
        Assert.Contains("1 written, 2 already done", File.ReadAllText(Path.Combine(output, "logs", "relabel-plain-advcam.log")));
        Assert.Equal(trained, File.GetLastWriteTimeUtc(checkpoint));
        Assert.True(File.Exists(Path.Combine(output, "maps", "plain-advcam", firstId + ".maps")));
        var again = TableRows(File.ReadAllText(Path.Combine(output, "table.md")));
        Assert.Equal(table.Select(r => string.Join(" | ", r[..5])), again.Select(r => string.Join(" | ", r[..5])));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(output, "times", "plain-advcam.txt")).Length);

        // Other options into the same folder are refused: the rows would no longer be comparable.
        (code, _, stderr) = Run([.. Recipe(output)[..^2], "--relabel-args", "--steps 3"]);
        Assert.Equal(2, code);
        Assert.Contains("holds a comparison made with other options", stderr);
        Assert.Contains("--restart", stderr);
    }

    [Fact]
    public void Bad_options_and_a_missing_dataset_are_refused_in_a_sentence_before_anything_runs()
    {
        using var folder = new TempFolder("wsss-compare-");
        string output = Path.Combine(folder.Path, "comparison");
        foreach (var (args, sentence) in new (string[], string)[]
        {
            (["--data", data.Root, "--out", output, "--val-images", "0"], "--val-images must be a whole number of at least 1"),
            (["--data", data.Root, "--out", output, "--rows", "plain-cam,gradcam"], "unknown row \"gradcam\""),
            (["--data", data.Root, "--out", output, "--pretrained", "imagenet", "--init-from", "x.onnx"], "not both"),
            (["--data", data.Root, "--out", output, "--scales", "one"], "--scales takes a comma list"),
            (["--data", data.Root, "--out", output, "--epoch", "2"], "unknown option --epoch"),
            (["--out", output], "--data"),
        })
        {
            var (code, stdout, stderr) = Run(args);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}: {stdout}{stderr}");
            Assert.Contains(sentence, stderr);
        }
        var missing = Run(["--data", Path.Combine(folder.Path, "no-such-dataset"), "--out", output]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr);
        Assert.False(Directory.Exists(output));
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = CliProcess.RepoRoot };
        start.ArgumentList.Add(Script);
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        return CliProcess.WaitForExit(process, "compare-localisers " + string.Join(' ', args), TimeSpan.FromMinutes(5));
    }

    /// <summary>The cells of the markdown table's body rows.</summary>
    private static List<string[]> TableRows(string markdown) =>
        [.. markdown.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).Skip(2)
            .Select(l => l.Trim().Trim('|').Split(" | ").Select(c => c.Trim()).ToArray())];

    private static float Number(string text) => float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}
