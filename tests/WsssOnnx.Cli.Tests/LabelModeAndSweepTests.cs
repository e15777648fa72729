using System.Globalization;
using System.Text.RegularExpressions;
using WsssOnnx.Attribution.Evaluation;

namespace WsssOnnx.Cli.Tests;

/// <summary>Confident labels in `wsss attribute` and `wsss relabel`, and threshold sweeps over saved class maps in `wsss eval`.</summary>
public sealed partial class LabelModeAndSweepTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    [Fact]
    public void Attribute_with_confident_writes_the_confident_labels()
    {
        string id = data.Ids("val")[0];
        using var outputFolder = new TempFolder("wsss-cli-");
        string output = outputFolder.Path;
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", SyntheticDataset.Package,
            "--image", Path.Combine(data.Root, "JPEGImages", id + ".jpg"), "--classes", string.Join(",", data.Classes(id)), "--method", "cam",
            "--confident", "--fg-threshold", "0.4", "--bg-threshold", "0.1", "--out", output);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        Assert.True(TestPng.IsComplete(File.ReadAllBytes(Path.Combine(output, $"{id}_confident.png"))));
        Assert.True(File.Exists(Path.Combine(output, $"{id}_seeds.png")));
    }

    [Fact]
    public void Contradicting_label_options_are_one_sentence_and_exit_2()
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
            "--split", "val", "--method", "cam", "--crf", "--mode", "confident", "--out", Path.Combine(data.Root, "unused"));
        Assert.Equal(2, code);
        Assert.Contains("--crf and --mode confident contradict", stderr);

        (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
            "--split", "val", "--method", "cam", "--mode", "confident", "--fg-threshold", "0.1", "--bg-threshold", "0.2", "--out", Path.Combine(data.Root, "unused"));
        Assert.Equal(2, code);
        Assert.Contains("BackgroundThreshold must be in [0, ForegroundThreshold = 0.1]", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }

    [Fact]
    public void A_sweep_over_saved_maps_scores_each_threshold_as_relabelling_at_it_does()
    {
        using var confidentFolder = new TempFolder("wsss-cli-");
        string confident = confidentFolder.Path;
        using var mapsFolder = new TempFolder("wsss-cli-maps-");
        string maps = mapsFolder.Path;
        using var seedsFolder = new TempFolder("wsss-cli-");
        string seeds = seedsFolder.Path;
        // One network run: confident labels plus the maps.
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
            "--split", "val", "--method", "cam", "--mode", "confident", "--save-maps", maps, "--out", confident);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        var ids = data.Ids("val");
        Assert.Equal(ids.Select(id => id + ".maps").Order(), Directory.GetFiles(maps).Select(Path.GetFileName).Order());
        Assert.All(Directory.GetFiles(confident), f => Assert.True(TestPng.IsComplete(File.ReadAllBytes(f))));

        (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--maps", maps, "--thresholds", "0.1:0.3:0.1", "--data", data.Root, "--split", "val");
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        var swept = SweepRow().Matches(stdout).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Equal(["0.100", "0.200", "0.300"], swept.Keys.Order());
        var best = swept.MaxBy(kv => kv.Value);
        Assert.Contains($"best: threshold {best.Key}, mIoU {best.Value:F2} %", stdout);

        // Without --thresholds, export's grid: every method is scored at its own best, however peaked its maps.
        (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--maps", maps, "--data", data.Root, "--split", "val");
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        Assert.Equal(SeedThresholdGrid.Default.Select(t => ((decimal)t).ToString("0.000####", CultureInfo.InvariantCulture)),
            Regex.Matches(stdout, @"^\s+(\d\.\d{3,})\s+\d+\.\d\d\s*$", RegexOptions.Multiline).Select(m => m.Groups[1].Value));

        // At 0 every pixel is foreground and at 1 none is, so a trained CAM's seeds at 0.2 beat both: 0.2 is the best,
        // and on a sweep that stops there eval warns that the maps' best may lie beyond it (not on one that spans it).
        foreach (var (sweep, edge) in (ReadOnlySpan<(string, string?)>)[("0,0.2,1", null), ("0.2,1", "lowest"), ("0,0.2", "highest")])
        {
            (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--maps", maps, "--thresholds", sweep, "--data", data.Root, "--split", "val");
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            Assert.Contains("best: threshold 0.200,", stdout);
            if (edge is null) Assert.DoesNotContain("warning", stderr);
            else Assert.Contains($"warning: the best threshold 0.200 is the {edge} of --thresholds", stderr);
        }

        // Thresholds below 0.001 print as given, not rounded to three decimals.
        (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--maps", maps, "--thresholds", "0.0005,0.0025,0.2", "--data", data.Root, "--split", "val");
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        Assert.Equal(["0.0005", "0.0025", "0.200"], Regex.Matches(stdout, @"^\s+(\d\.\d{3,})\s+\d+\.\d\d\s*$", RegexOptions.Multiline).Select(m => m.Groups[1].Value));
        Assert.Matches(@"best: threshold 0\.(0005|0025|200), mIoU", stdout);

        // The same threshold through relabel's seeds and eval --labels gives the same mIoU (maps are stored as halves,
        // which may move a pixel within 2^-11 of the threshold: 0.05 points of mIoU is far more than that).
        (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
            "--split", "val", "--method", "cam", "--threshold", "0.2", "--out", seeds);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", seeds, "--data", data.Root, "--split", "val");
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        double direct = double.Parse(Regex.Match(stdout, @"mIoU (\d+\.\d\d) %").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(direct, swept["0.200"], 0.05);
    }

    [Fact]
    public void A_crf_sweep_over_saved_maps_scores_each_threshold_as_crf_relabelling_at_it_does()
    {
        var (maps, crfLabels) = RelabelCamWithMaps("--mode", "crf", "--threshold", "0.2");
        try
        {
            var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", crfLabels, "--data", data.Root, "--split", "val");
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            double direct = double.Parse(Regex.Match(stdout, @"mIoU (\d+\.\d\d) %").Groups[1].Value, CultureInfo.InvariantCulture);

            (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--maps", maps, "--crf", "--thresholds", "0.1,0.2", "--data", data.Root, "--split", "val");
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            var rows = CrfSweepRow().Matches(stdout).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
            Assert.Equal(["0.100", "0.200"], rows.Keys.Order());
            // Saved maps are halves: a pixel within 2^-11 of the threshold may flip, and CRF spreads a flip over its
            // neighbours, so allow more than for plain seeds (measured: 0.2 points on these four 96 px images).
            Assert.Equal(direct, rows["0.200"], 0.5);
            Assert.Contains("best with CRF: threshold", stdout);
            // Progress goes to stderr as plain lines, ending with the whole split; stdout keeps only the results.
            Assert.Contains($"eval val (with CRF): {data.Ids("val").Count}/{data.Ids("val").Count} images", stderr);
            Assert.DoesNotContain("eval val (with CRF):", stdout);

            (code, _, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", crfLabels, "--crf", "--data", data.Root, "--split", "val");
            Assert.Equal(2, code);
            Assert.Contains("--crf refines seeds made from saved maps; it needs --maps.", stderr);
        }
        finally
        {
            Directory.Delete(crfLabels, recursive: true);
            Directory.Delete(maps, recursive: true);
        }
    }

    [Fact]
    public void Added_foreground_over_a_baseline_is_nothing_for_the_same_maps_and_sums_to_its_total_otherwise()
    {
        var (maps, labels) = RelabelCamWithMaps();
        try
        {
            var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--maps", maps, "--baseline-maps", maps, "--thresholds", "0.1,0.3", "--data", data.Root, "--split", "val");
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            Assert.Equal(2, Regex.Matches(stdout, @"^\s+0\.[13]00  0 added: ", RegexOptions.Multiline).Count);

            // A lower threshold than the baseline's only adds foreground; its categories are shares of that total.
            (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--maps", maps, "--baseline-maps", maps, "--baseline-threshold", "0.9",
                "--thresholds", "0.05", "--data", data.Root, "--split", "val");
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            var line = Regex.Match(
                stdout,
                @"0\.050  (\d+) added: right class ([\d.]+) %, other object ([\d.]+) %, " +
                @"background <= 16 px ([\d.]+) %, 16-32 px ([\d.]+) %, farther ([\d.]+) %, ignore band ([\d.]+) %");
            Assert.True(line.Success, stdout);
            Assert.True(long.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture) > 0, stdout);
            double shares = Enumerable.Range(2, 6).Sum(g => double.Parse(line.Groups[g].Value, CultureInfo.InvariantCulture));
            Assert.Equal(100, shares, 0.35);

            (code, _, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", labels, "--baseline-maps", maps, "--data", data.Root, "--split", "val");
            Assert.Equal(2, code);
            Assert.Contains("--baseline-maps compares seeds made from saved maps; it needs --maps.", stderr);
        }
        finally
        {
            Directory.Delete(maps, recursive: true);
            Directory.Delete(labels, recursive: true);
        }
    }

    [Fact]
    public void Eval_needs_exactly_one_of_labels_and_maps()
    {
        var (code, _, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--data", data.Root, "--split", "val");
        Assert.Equal(2, code);
        Assert.Contains("give either --labels", stderr);
        (code, _, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--maps", data.Root, "--thresholds", "0.5:0.1:0.1", "--data", data.Root, "--split", "val");
        Assert.Equal(2, code);
        Assert.Contains("stop at least start", stderr);
    }

    /// <summary>CAM labels of the val split (with <paramref name="options"/>) and their saved maps, each in a new temp folder.</summary>
    private (string Maps, string Labels) RelabelCamWithMaps(params string[] options)
    {
        string maps = Directory.CreateTempSubdirectory("wsss-cli-maps-").FullName, labels = Directory.CreateTempSubdirectory("wsss-cli-").FullName;
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, ["relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
            "--split", "val", "--method", "cam", .. options, "--save-maps", maps, "--out", labels]);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        return (maps, labels);
    }

    [GeneratedRegex(@"^\s+(\d\.\d{3})\s+(\d+\.\d\d)\s*$", RegexOptions.Multiline)]
    private static partial Regex SweepRow();

    [GeneratedRegex(@"^\s+(\d\.\d{3})\s+(\d+\.\d\d)\s+(\d+\.\d\d)\s*$", RegexOptions.Multiline)]
    private static partial Regex CrfSweepRow();
}
