namespace WsssOnnx.Cli.Tests;

/// <summary>`wsss relabel` and `wsss eval` on a generated dataset with plain CAM.</summary>
public sealed class RelabelAndEvalCommandTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    private (int ExitCode, string Stdout, string Stderr) Relabel(string dataRoot, string output, string split) =>
        CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", dataRoot, "--split", split,
            "--method", "cam", "--parallel", "2", "--out", output);

    [Fact]
    public void Relabel_writes_one_png_per_image_and_a_second_run_skips_them_all()
    {
        string output = Directory.CreateTempSubdirectory("wsss-cli-").FullName;
        try
        {
            var ids = data.Ids("train");
            var (code, stdout, stderr) = Relabel(data.Root, output, "train");
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            Assert.Equal(ids.Select(id => id + ".png").Order(), Directory.GetFiles(output).Select(Path.GetFileName).Order());
            Assert.Contains($"{ids.Count} written", stdout);

            var stamps = Directory.GetFiles(output).ToDictionary(f => f, File.GetLastWriteTimeUtc);
            (code, stdout, stderr) = Relabel(data.Root, output, "train");
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            Assert.Contains($"0 written, {ids.Count} already done", stdout);
            foreach (var (file, stamp) in stamps) Assert.Equal(stamp, File.GetLastWriteTimeUtc(file));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void A_threshold_sweep_writes_a_folder_per_threshold_and_the_single_threshold_labels_match_it()
    {
        string sweep = Directory.CreateTempSubdirectory("wsss-cli-").FullName, single = Directory.CreateTempSubdirectory("wsss-cli-").FullName;
        try
        {
            var ids = data.Ids("val");
            var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
                "--split", "val", "--method", "cam", "--crf", "--thresholds", "0.1", "0.3", "--out", sweep);
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            Assert.Equal(["0.10", "0.10+crf", "0.30", "0.30+crf"], Directory.GetDirectories(sweep).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            foreach (string folder in Directory.GetDirectories(sweep))
                Assert.Equal(ids.Select(id => id + ".png").Order(), Directory.GetFiles(folder).Select(Path.GetFileName).Order());

            (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
                "--split", "val", "--method", "cam", "--threshold", "0.3", "--out", single);
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            foreach (string id in ids)
                Assert.Equal(File.ReadAllBytes(Path.Combine(single, id + ".png")), File.ReadAllBytes(Path.Combine(sweep, "0.30", id + ".png")));
        }
        finally
        {
            Directory.Delete(sweep, recursive: true);
            Directory.Delete(single, recursive: true);
        }
    }

    [Fact]
    public void A_corrupt_jpeg_and_an_unknown_class_are_reported_and_the_rest_is_written()
    {
        string copy = Directory.CreateTempSubdirectory("wsss-cli-data-").FullName;
        string output = Directory.CreateTempSubdirectory("wsss-cli-").FullName;
        try
        {
            CopyDirectory(data.Root, copy);
            var ids = data.Ids("val");
            string corrupt = ids[0], unknown = ids[1];
            string jpeg = Path.Combine(copy, "JPEGImages", corrupt + ".jpg");
            byte[] bytes = File.ReadAllBytes(jpeg);
            File.WriteAllBytes(jpeg, bytes[..(bytes.Length / 3)]);
            string xml = Path.Combine(copy, "Annotations", unknown + ".xml");
            var document = System.Xml.Linq.XDocument.Load(xml);
            document.Descendants("name").First().Value = "unicorn";
            document.Save(xml);

            var (code, stdout, stderr) = Relabel(copy, output, "val");
            Assert.Equal(1, code);
            Assert.Contains("2 of 4 images failed", stderr);
            Assert.Contains($"{corrupt}: cannot decode", stderr);
            Assert.Contains($"{unknown}: unknown class \"unicorn\"", stderr);
            Assert.DoesNotContain("   at ", stderr + stdout);
            Assert.Equal(ids.Skip(2).Select(id => id + ".png").Order(), Directory.GetFiles(output).Select(Path.GetFileName).Order());
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void Eval_of_relabelled_maps_prints_a_miou_table_and_counts_missing_predictions()
    {
        string output = Directory.CreateTempSubdirectory("wsss-cli-").FullName;
        try
        {
            var (code, stdout, stderr) = Relabel(data.Root, output, "val");
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            File.Delete(Path.Combine(output, data.Ids("val")[0] + ".png"));

            (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", output, "--data", data.Root, "--split", "val");
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            Assert.Contains("IoU %", stdout);
            Assert.Contains("background", stdout);
            Assert.Contains("hexagon", stdout);
            Assert.Matches(@"mIoU \d+\.\d\d %", stdout);
            Assert.Contains("pixel accuracy", stdout);
            Assert.Contains("1 predictions missing", stdout);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void Eval_of_the_ground_truth_against_itself_is_100_miou()
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", Path.Combine(data.Root, "SegmentationClass"),
            "--data", data.Root, "--split", "train");
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        Assert.Contains("mIoU 100.00 %", stdout);
        Assert.Contains("pixel accuracy 100.00 %", stdout);
        Assert.Contains("0 predictions missing", stdout);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
