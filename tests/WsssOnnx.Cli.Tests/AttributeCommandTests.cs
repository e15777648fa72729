namespace WsssOnnx.Cli.Tests;

/// <summary>`wsss attribute` on the bundled package and a generated image.</summary>
public sealed class AttributeCommandTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    [Fact]
    public void Cam_writes_a_heat_map_and_a_grey_map_per_class_then_seeds_and_crf_labels()
    {
        string id = data.Ids("val")[0];
        var classes = data.Classes(id);
        using var outputFolder = new TempFolder("wsss-cli-");
        string output = outputFolder.Path;
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", SyntheticDataset.Package,
            "--image", Path.Combine(data.Root, "JPEGImages", id + ".jpg"), "--classes", string.Join(",", classes.Select(c => c.ToUpperInvariant())),
            "--method", "cam", "--crf", "--out", output);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        var expected = classes.SelectMany(c => new[] { $"{id}_{c}_heatmap.png", $"{id}_{c}_map.png" }).Append($"{id}_seeds.png").Append($"{id}_crf.png");
        Assert.Equal(expected.Order(), Directory.GetFiles(output).Select(Path.GetFileName).Order());
        foreach (string file in Directory.GetFiles(output)) Assert.Equal(PngSignature, File.ReadAllBytes(file)[..4]);
    }

    [Fact]
    public void AdvCam_with_two_steps_writes_the_maps()
    {
        string id = data.Ids("val")[0];
        using var outputFolder = new TempFolder("wsss-cli-");
        string output = outputFolder.Path;
        string cls = data.Classes(id)[0];
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", SyntheticDataset.Package,
            "--image", Path.Combine(data.Root, "JPEGImages", id + ".jpg"), "--classes", cls, "--method", "advcam", "--steps", "2", "--out", output);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        Assert.Contains("AdvCAM, 2 steps", stdout);
        Assert.True(File.Exists(Path.Combine(output, $"{id}_{cls}_heatmap.png")));
        Assert.True(File.Exists(Path.Combine(output, $"{id}_seeds.png")));
    }

    [Fact]
    public void Trace_prints_every_step_of_every_scale_and_without_restriction_the_logits_climb()
    {
        string id = data.Ids("val")[0];
        using var outputFolder = new TempFolder("wsss-cli-");
        string output = outputFolder.Path;
        string cls = data.Classes(id)[0];
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", SyntheticDataset.Package,
            "--image", Path.Combine(data.Root, "JPEGImages", id + ".jpg"), "--classes", cls, "--method", "advcam", "--steps", "4",
            "--mask-weight", "0", "--step-size", "0.1", "--trace", "--out", output);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        Assert.Contains("AdvCAM, 4 steps, xi 0.1, lambda 0", stdout);
        // Rows: scale, step, objective, logit term, regulariser, peak, mass.
        var rows = stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 7 && float.TryParse(f[0], System.Globalization.CultureInfo.InvariantCulture, out _)).ToList();
        Assert.Equal(16, rows.Count);
        float F(string[] row, int i) => float.Parse(row[i], System.Globalization.CultureInfo.InvariantCulture);
        foreach (var scale in rows.Chunk(4))
        {
            Assert.Equal([0f, 1f, 2f, 3f], scale.Select(r => F(r, 1)));
            Assert.Equal(1f, F(scale[0], 5));
            Assert.Equal(1f, F(scale[0], 6));
            // lambda = 0: the objective is the logit term alone, and climbing raises it and the map's mass.
            foreach (var r in scale) Assert.Equal(F(r, 3), F(r, 2), 0.01f * Math.Abs(F(r, 3)) + 1e-4f);
            Assert.True(F(scale[3], 3) > F(scale[0], 3), $"logit term {F(scale[0], 3)} -> {F(scale[3], 3)} at scale {scale[0][0]}");
        }
        Assert.True(F(rows[3], 6) > 1f, $"mass ratio at scale 1, step 3: {rows[3][6]}");
    }

    [Fact]
    public void Scales_replace_the_packages_in_the_climb_and_the_summary()
    {
        string id = data.Ids("val")[0];
        using var outputFolder = new TempFolder("wsss-cli-");
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", SyntheticDataset.Package,
            "--image", Path.Combine(data.Root, "JPEGImages", id + ".jpg"), "--classes", data.Classes(id)[0], "--method", "advcam", "--steps", "2",
            "--scales", "0.5, 1", "--trace", "--out", outputFolder.Path);
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        Assert.Contains("scales 0.5,1,", stdout);
        // Trace rows start with their scale: two steps at 0.5, then two at 1, and none at the package's 1.5 and 2.
        var scales = stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 7 && float.TryParse(f[0], System.Globalization.CultureInfo.InvariantCulture, out _)).Select(f => f[0]).ToList();
        Assert.Equal(["0.5", "0.5", "1", "1"], scales);
    }

    [Fact]
    public void An_unknown_class_is_one_sentence_and_exit_1()
    {
        using var outputFolder = new TempFolder("wsss-cli-");
        string output = outputFolder.Path;
        string id = data.Ids("val")[0];
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", SyntheticDataset.Package,
            "--image", Path.Combine(data.Root, "JPEGImages", id + ".jpg"), "--classes", "disc,unicorn", "--method", "cam", "--out", output);
        Assert.Equal(1, code);
        Assert.Contains("unknown class \"unicorn\"", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.Empty(Directory.GetFiles(output));
    }

    [Fact]
    public void A_corrupt_image_is_one_sentence_and_exit_1()
    {
        using var outputFolder = new TempFolder("wsss-cli-");
        string output = outputFolder.Path;
        string image = Path.Combine(output, "corrupt.jpg");
        byte[] jpeg = File.ReadAllBytes(Path.Combine(data.Root, "JPEGImages", data.Ids("val")[0] + ".jpg"));
        File.WriteAllBytes(image, jpeg[..(jpeg.Length / 3)]);
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", SyntheticDataset.Package,
            "--image", image, "--classes", "disc", "--method", "cam", "--out", output);
        Assert.Equal(1, code);
        Assert.Contains("cannot decode", stderr);
        Assert.Contains("corrupt.jpg", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }
}
