namespace WsssOnnx.Cli.Tests;

/// <summary>`wsss relabel` and `wsss eval` on a generated dataset with plain CAM.</summary>
public sealed class RelabelAndEvalCommandTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    private (int ExitCode, string Stdout, string Stderr) Relabel(string dataRoot, string output, string split) =>
        CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", dataRoot, "--split", split,
            "--method", "cam", "--parallel", "2", "--out", output);

    [Fact]
    public void Segment_of_a_split_writes_the_names_eval_reads_and_takes_a_list_file_as_split()
    {
        using var workFolder = new TempFolder("wsss-cli-");
        string work = workFolder.Path;
        string output = Path.Combine(work, "val");
        var ids = data.Ids("val");
        var run = CliProcess.Run(CliProcess.BuildDirectory, "segment", "--package", SyntheticDataset.Package, "--data", data.Root, "--split", "val", "--out", output);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal(ids.Select(id => id + ".png").Order(), Directory.GetFiles(output).Select(Path.GetFileName).Order());
        var eval = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", output, "--data", data.Root, "--split", "val");
        Assert.True(eval.ExitCode == 0, eval.Stdout + eval.Stderr);
        Assert.Contains($"{ids.Count} scored, 0 predictions missing", eval.Stdout);

        run = CliProcess.Run(CliProcess.BuildDirectory, "segment", "--package", SyntheticDataset.Package, "--data", data.Root, "--split", "val", "--out", output);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains($"{ids.Count} label maps already there (skipped)", run.Stdout);

        // A list file as the split, in DeepLab's "/JPEGImages/<id>.jpg /SegmentationClassAug/<id>.png" form (SBD's train_aug.txt).
        string list = Path.Combine(work, "two_aug.txt");
        File.WriteAllLines(list, ids.Take(2).Select(id => $"/JPEGImages/{id}.jpg /SegmentationClassAug/{id}.png"));
        string two = Path.Combine(work, "two");
        run = CliProcess.Run(CliProcess.BuildDirectory, "segment", "--package", SyntheticDataset.Package, "--data", data.Root, "--split", list, "--out", two);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal(ids.Take(2).Select(id => id + ".png").Order(), Directory.GetFiles(two).Select(Path.GetFileName).Order());

        var refused = CliProcess.Run(CliProcess.BuildDirectory, "segment", "--package", SyntheticDataset.Package, "--data", data.Root, "--out", two);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--data needs --split", refused.Stderr);
        refused = CliProcess.Run(CliProcess.BuildDirectory, "segment", "--package", SyntheticDataset.Package, "--data", data.Root, "--split", "val",
            "--out", two, Path.Combine(data.Root, "JPEGImages", ids[0] + ".jpg"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("not both", refused.Stderr);
    }

    [Fact]
    public void Eval_on_a_voc_folder_without_classes_txt_takes_an_sbd_list_by_relative_path()
    {
        using var workFolder = new TempFolder("wsss-cli-");
        string work = workFolder.Path;
        string copy = Path.Combine(work, "voc");
        data.CopyTo(copy);
        File.Delete(Path.Combine(copy, "classes.txt"));
        // The ground truth scored against itself: every class present is perfect, and rows carry VOC's names.
        var eval = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", Path.Combine(copy, "SegmentationClass"), "--data", copy, "--split", "val");
        Assert.True(eval.ExitCode == 0, eval.Stdout + eval.Stderr);
        Assert.Contains("aeroplane", eval.Stdout);
        Assert.Contains("mIoU 100.00 %", eval.Stdout);

        // SBD's layout: train_aug.txt outside the dataset, "/JPEGImages/<id>.jpg /SegmentationClassAug/<id>.png" lines, masks
        // only in SegmentationClassAug (moved, so reading SegmentationClass instead would fail), given relative to the working directory.
        var ids = data.Ids("train").Take(3).ToList();
        string aug = Path.Combine(copy, "SegmentationClassAug");
        Directory.CreateDirectory(aug);
        foreach (string id in ids) File.Move(Path.Combine(copy, "SegmentationClass", id + ".png"), Path.Combine(aug, id + ".png"));
        string list = Path.Combine(work, "some", "path", "train_aug.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(list)!);
        File.WriteAllLines(list, [.. ids.Select(id => $"/JPEGImages/{id}.jpg /SegmentationClassAug/{id}.png"), ""]);
        string relative = Path.GetRelativePath(CliProcess.RepoRoot, list); // the CLI runs in the repository root
        Assert.False(Path.IsPathRooted(relative));

        eval = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", aug, "--data", copy, "--split", relative);
        Assert.True(eval.ExitCode == 0, eval.Stdout + eval.Stderr);
        Assert.Contains($"train_aug: {ids.Count} images, {ids.Count} scored, 0 predictions missing, 0 unreadable", eval.Stdout);
        Assert.Contains("mIoU 100.00 %", eval.Stdout);

        File.AppendAllText(list, "JPEGImages/x.jpg SegmentationClassAug/x.png extra\n");
        eval = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", aug, "--data", copy, "--split", relative);
        Assert.Equal(1, eval.ExitCode);
        Assert.Contains($"{list}: Line {ids.Count + 2} has 3 fields", eval.Stderr);
        eval = CliProcess.Run(CliProcess.BuildDirectory, "eval", "--labels", aug, "--data", copy, "--split", "train_aug");
        Assert.Equal(1, eval.ExitCode);
        Assert.Contains("'train_aug' is a name", eval.Stderr);
    }

    [Fact]
    public void Relabel_writes_one_png_per_image_and_a_second_run_skips_them_all()
    {
        using var outputFolder = new TempFolder("wsss-cli-");
        string output = outputFolder.Path;
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

    [Fact]
    public void Scales_choose_the_maps_scales_and_a_bad_list_is_refused_in_a_sentence()
    {
        using var folder = new TempFolder("wsss-cli-");
        var maps = new Dictionary<string, string>();
        foreach (string scales in (string[])["default", "1", "1,1"])
        {
            maps[scales] = Path.Combine(folder.Path, "maps-" + scales);
            string[] scaleOption = scales == "default" ? [] : ["--scales", scales];
            var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, ["relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
                "--split", "val", "--method", "cam", .. scaleOption, "--out", Path.Combine(folder.Path, "labels-" + scales), "--save-maps", maps[scales]]);
            Assert.True(code == 0, $"--scales {scales}: exit {code}: {stdout}{stderr}");
        }
        float[] Read(string scales, string id)
        {
            string path = Path.Combine(maps[scales], id + ".maps");
            return WsssOnnx.Attribution.Cam.ClassMapsFile.Read(File.ReadAllBytes(path), path).Full.Data;
        }
        foreach (string id in data.Ids("val"))
        {
            // The merge sums the scales' maps and divides each class by its max: the same scale twice is that scale once
            // (to the 1e-5 in max + 1e-5 and the file's half floats), while the package's four scales give other maps.
            float[] one = Read("1", id), twice = Read("1,1", id), four = Read("default", id);
            Assert.Equal(one.Length, twice.Length);
            for (int i = 0; i < one.Length; i++) Assert.True(Math.Abs(one[i] - twice[i]) <= 2e-3f, $"{id}[{i}]: {one[i]} vs {twice[i]}");
            Assert.True(one.Zip(four).Max(p => Math.Abs(p.First - p.Second)) > 0.01f, $"{id}: scale 1 alone gave the four scales' maps");
        }

        foreach (var (bad, sentence) in new[] { ("5", "each scale must be in [0.125, 4]; got 5."), ("1,x", "\"x\" is not a number"),
            ("1,1,1,1,1,1,1,1,1", "takes 1 to 8 scales; got 9.") })
        {
            var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
                "--split", "val", "--method", "cam", "--scales", bad, "--out", Path.Combine(folder.Path, "refused"));
            Assert.Equal(2, code);
            Assert.Contains(sentence, stderr);
            Assert.DoesNotContain("   at ", stderr + stdout);
        }
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "refused")));
    }

    [Fact]
    public void Climbing_with_step_size_zero_gives_the_CAM_labels_and_a_bad_mask_weight_is_refused()
    {
        string cam = Directory.CreateTempSubdirectory("wsss-cli-").FullName, still = Directory.CreateTempSubdirectory("wsss-cli-").FullName;
        try
        {
            var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
                "--split", "val", "--method", "cam", "--out", cam);
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            // xi = 0: the image never moves, every A_t equals A_0, and their normalised sum is CAM's map.
            (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
                "--split", "val", "--method", "advcam", "--steps", "2", "--step-size", "0", "--out", still);
            Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
            foreach (string id in data.Ids("val"))
                Assert.Equal(File.ReadAllBytes(Path.Combine(cam, id + ".png")), File.ReadAllBytes(Path.Combine(still, id + ".png")));

            (code, _, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
                "--split", "val", "--mask-weight", "-1", "--out", still);
            Assert.Equal(2, code);
            Assert.Contains("MaskWeight", stderr);
        }
        finally
        {
            Directory.Delete(cam, recursive: true);
            Directory.Delete(still, recursive: true);
        }
    }

    [Fact]
    public void A_corrupt_jpeg_and_an_unknown_class_are_reported_and_the_rest_is_written()
    {
        var ids = data.Ids("val");
        string corrupt = ids[0], unknown = ids[1];
        var stderr = RelabelDamagedValCopy(copy =>
        {
            string jpeg = Path.Combine(copy, "JPEGImages", corrupt + ".jpg");
            byte[] bytes = File.ReadAllBytes(jpeg);
            File.WriteAllBytes(jpeg, bytes[..(bytes.Length / 3)]);
            string xml = Path.Combine(copy, "Annotations", unknown + ".xml");
            var document = System.Xml.Linq.XDocument.Load(xml);
            document.Descendants("name").First().Value = "unicorn";
            document.Save(xml);
        });
        Assert.Contains($"{corrupt}: cannot decode", stderr);
        Assert.Contains($"{unknown}: unknown class \"unicorn\"", stderr);
    }

    [Fact]
    public void Over_size_and_empty_images_are_reported_at_the_end_and_the_rest_is_written()
    {
        var ids = data.Ids("val");
        string huge = ids[0], empty = ids[1];
        var stderr = RelabelDamagedValCopy(copy =>
        {
            // The decoder reads the format from the bytes, so a PNG under a .jpg name is fine. 1025 > AdvCamOptions.MaxSide.
            File.WriteAllBytes(Path.Combine(copy, "JPEGImages", huge + ".jpg"), TestPng.Rgb(8, 1025));
            File.WriteAllBytes(Path.Combine(copy, "JPEGImages", empty + ".jpg"), []);
        });
        Assert.Contains($"{huge}: ", stderr);
        Assert.Contains("8x1025; its long side must be at most 1024 pixels", stderr);
        Assert.Contains($"{empty}: ", stderr);
    }

    /// <summary>Relabels a copy of the val split after <paramref name="damage"/> spoilt its first two images; checks that
    /// exactly those two fail, in sentences, and the other two are written; returns stderr.</summary>
    private string RelabelDamagedValCopy(Action<string> damage)
    {
        using var copyFolder = new TempFolder("wsss-cli-data-");
        string copy = copyFolder.Path;
        using var outputFolder = new TempFolder("wsss-cli-");
        string output = outputFolder.Path;
        data.CopyTo(copy);
        damage(copy);
        var (code, stdout, stderr) = Relabel(copy, output, "val");
        Assert.Equal(1, code);
        Assert.Contains("2 of 4 images failed", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.Equal(data.Ids("val").Skip(2).Select(id => id + ".png").Order(), Directory.GetFiles(output).Select(Path.GetFileName).Order());
        return stderr;
    }

    [Fact]
    public void Eval_of_relabelled_maps_prints_a_miou_table_and_counts_missing_predictions()
    {
        using var outputFolder = new TempFolder("wsss-cli-");
        string output = outputFolder.Path;
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
}
