using WsssOnnx.Imaging;
using WsssOnnx.Datasets;
using Xunit.Abstractions;

namespace WsssOnnx.Datasets.Tests;

/// <summary>
/// Every kind of bad input, under both policies: Stop throws a <see cref="DatasetException"/> naming the file and the
/// reason; Skip leaves the sample out, records the same problem and keeps the good samples.
/// </summary>
public sealed class VocDatasetProblemTests(ITestOutputHelper output) : IDisposable
{
    private readonly VocTree tree = new();

    public void Dispose() => tree.Dispose();

    private static VocDatasetOptions Policy(BadSamplePolicy policy) => new() { BadSamples = policy };

    /// <summary>Opens "train" (good sample "good" plus the bad one) and checks the problem under the policy.</summary>
    private void AssertRefused(BadSamplePolicy policy, DatasetProblemKind kind, string path, string reasonContains, VocDatasetOptions? options = null)
    {
        options = (options ?? new VocDatasetOptions()) with { BadSamples = policy };
        DatasetProblem problem;
        if (policy == BadSamplePolicy.Stop)
        {
            var e = Assert.Throws<DatasetException>(() => VocDataset.Open(tree.Root, "train", options));
            output.WriteLine(e.Message);
            problem = e.Problem;
            Assert.Equal($"{path}: {e.Reason}", e.Message);
        }
        else
        {
            VocDataset dataset = VocDataset.Open(tree.Root, "train", options);
            Assert.Equal(["good"], dataset.Samples.Select(s => s.Id));
            problem = Assert.Single(dataset.Problems);
            output.WriteLine(problem.ToString());
        }
        Assert.Equal(kind, problem.Kind);
        Assert.Equal(path, problem.Path);
        Assert.Contains(reasonContains, problem.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith(".", problem.Reason);
    }

    private void GoodAndBad(string bad)
    {
        tree.AddSample("good", ["cat"]);
        tree.AddList("train", "good", bad);
    }

    [Theory]
    [InlineData(BadSamplePolicy.Stop)]
    [InlineData(BadSamplePolicy.Skip)]
    public void Missing_jpeg(BadSamplePolicy policy)
    {
        GoodAndBad("bad");
        tree.AddAnnotation("bad", ("cat", false));

        AssertRefused(policy, DatasetProblemKind.MissingFile, tree.ImagePath("bad"), "image does not exist");
    }

    [Theory]
    [InlineData(BadSamplePolicy.Stop)]
    [InlineData(BadSamplePolicy.Skip)]
    public void Missing_xml(BadSamplePolicy policy)
    {
        GoodAndBad("bad");
        tree.AddImage("bad");

        AssertRefused(policy, DatasetProblemKind.MissingFile, tree.AnnotationPath("bad"), "annotation does not exist");
    }

    [Theory]
    [InlineData(BadSamplePolicy.Stop, "<annotation><object><name>cat</name></object>", "cannot be parsed as XML")]
    [InlineData(BadSamplePolicy.Skip, "<annotation><object><name>cat</name></object>", "cannot be parsed as XML")]
    [InlineData(BadSamplePolicy.Stop, "", "cannot be parsed as XML")]
    [InlineData(BadSamplePolicy.Skip, "<!DOCTYPE annotation [<!ENTITY x 'cat'>]><annotation/>", "cannot be parsed as XML")]
    [InlineData(BadSamplePolicy.Stop, "<voc><object><name>cat</name></object></voc>", "root element is <voc>")]
    [InlineData(BadSamplePolicy.Skip, "<annotation><object><pose>Left</pose></object></annotation>", "Object 1 has no <name>")]
    public void Malformed_xml(BadSamplePolicy policy, string xml, string reason)
    {
        GoodAndBad("bad");
        tree.AddImage("bad");
        File.WriteAllText(tree.AnnotationPath("bad"), xml);

        AssertRefused(policy, DatasetProblemKind.MalformedAnnotation, tree.AnnotationPath("bad"), reason);
    }

    [Theory]
    [InlineData(BadSamplePolicy.Stop)]
    [InlineData(BadSamplePolicy.Skip)]
    public void Unknown_class_name(BadSamplePolicy policy)
    {
        GoodAndBad("bad");
        tree.AddImage("bad");
        tree.AddAnnotation("bad", ("dog", false), ("dinosaur", false));

        AssertRefused(policy, DatasetProblemKind.UnknownClass, tree.AnnotationPath("bad"), "Object 2 is named 'dinosaur'");
    }

    [Theory]
    [InlineData(BadSamplePolicy.Stop)]
    [InlineData(BadSamplePolicy.Skip)]
    public void Missing_required_mask(BadSamplePolicy policy)
    {
        tree.AddSample("good", ["cat"], new GrayImage(24, 16));
        tree.AddSample("bad", ["cat"]);
        tree.AddList("train", "good", "bad");

        AssertRefused(policy, DatasetProblemKind.MissingFile, tree.MaskPath("bad"), "segmentation mask does not exist", new VocDatasetOptions { RequireMasks = true });
    }

    [Theory]
    [InlineData(BadSamplePolicy.Stop, "a b c", "has 3 fields")]
    [InlineData(BadSamplePolicy.Skip, "a b c", "has 3 fields")]
    [InlineData(BadSamplePolicy.Stop, "/../JPEGImages/x.jpg /SegmentationClass/x.png", "names a path outside the dataset root")]
    [InlineData(BadSamplePolicy.Skip, "JPEGImages/x.jpg /../x.png", "names a path outside the dataset root")]
    [InlineData(BadSamplePolicy.Skip, "good", "repeats the id 'good' first listed on line 1")]
    public void Malformed_list_line(BadSamplePolicy policy, string line, string reason)
    {
        GoodAndBad(line);

        AssertRefused(policy, DatasetProblemKind.MalformedList, tree.ListPath("train"), "Line 2 " + reason);
    }

    [Theory]
    [InlineData(BadSamplePolicy.Stop)]
    [InlineData(BadSamplePolicy.Skip)]
    public void Undecodable_image_surfaces_when_loaded(BadSamplePolicy policy)
    {
        GoodAndBad("bad");
        tree.AddAnnotation("bad", ("cat", false));
        byte[] jpeg = File.ReadAllBytes(tree.ImagePath("good"));
        File.WriteAllBytes(tree.ImagePath("bad"), jpeg[..(jpeg.Length / 3)]);

        // Opening only checks that the file exists.
        VocDataset dataset = VocDataset.Open(tree.Root, "train", Policy(policy));
        Assert.Equal(2, dataset.Samples.Count);
        VocSample bad = dataset.Samples[1];

        var e = Assert.Throws<DatasetException>(() => dataset.LoadImage(bad));
        output.WriteLine(e.Message);
        Assert.Equal(DatasetProblemKind.UndecodableImage, e.Kind);
        Assert.Equal(tree.ImagePath("bad"), e.Path);
        Assert.Equal("bad", e.Problem.SampleId);
        Assert.Contains("does not decode (Truncated", e.Reason);
        Assert.IsType<ImageDecodeException>(e.InnerException);

        Assert.True(dataset.TryLoadImage(dataset.Samples[0], out RgbImage? good));
        Assert.NotNull(good);
        if (policy == BadSamplePolicy.Stop)
        {
            Assert.Throws<DatasetException>(() => dataset.TryLoadImage(bad, out _));
            Assert.Empty(dataset.Problems);
        }
        else
        {
            Assert.False(dataset.TryLoadImage(bad, out RgbImage? none));
            Assert.Null(none);
            Assert.Equal(e.Problem, Assert.Single(dataset.Problems));
        }
    }

    [Theory]
    [InlineData(BadSamplePolicy.Stop)]
    [InlineData(BadSamplePolicy.Skip)]
    public void Bad_masks_surface_when_loaded(BadSamplePolicy policy)
    {
        tree.AddSample("rgb", ["cat"]);
        File.WriteAllBytes(tree.MaskPath("rgb"), PngEncoder.EncodeRgb(new RgbImage(24, 16)));
        tree.AddSample("value", ["cat"], VocTree.Labels(24, 16, (x, y) => x == 5 && y == 3 ? (byte)21 : (byte)0));
        tree.AddSample("jpeg", ["cat"]);
        File.Copy(tree.ImagePath("jpeg"), tree.MaskPath("jpeg"));
        tree.AddList("train", "rgb", "value", "jpeg");
        VocDataset dataset = VocDataset.Open(tree.Root, "train", Policy(policy));

        foreach ((VocSample sample, string reason) in dataset.Samples.Zip(new[] { "UnsupportedColorSpace", "holds 21 at (5, 3)", "UnknownFormat" }))
        {
            var e = Assert.Throws<DatasetException>(() => dataset.LoadMask(sample));
            output.WriteLine(e.Message);
            Assert.Equal(DatasetProblemKind.BadMask, e.Kind);
            Assert.Equal(sample.MaskPath, e.Path);
            Assert.Contains(reason, e.Reason);
            if (policy == BadSamplePolicy.Skip) Assert.False(dataset.TryLoadMask(sample, out _));
        }
        Assert.Equal(policy == BadSamplePolicy.Skip ? 3 : 0, dataset.Problems.Count);
    }

    // A list-level failure leaves nothing to skip to: both policies throw.

    [Theory]
    [InlineData(BadSamplePolicy.Stop)]
    [InlineData(BadSamplePolicy.Skip)]
    public void Empty_list(BadSamplePolicy policy)
    {
        tree.AddSample("good", ["cat"]);
        tree.AddList("train", "", "   ");

        var e = Assert.Throws<DatasetException>(() => VocDataset.Open(tree.Root, "train", Policy(policy)));

        output.WriteLine(e.Message);
        Assert.Equal(DatasetProblemKind.EmptyList, e.Kind);
        Assert.Equal(tree.ListPath("train"), e.Path);
    }

    [Theory]
    [InlineData(BadSamplePolicy.Stop)]
    [InlineData(BadSamplePolicy.Skip)]
    public void Missing_list(BadSamplePolicy policy)
    {
        string list = Path.Combine(tree.Root, "lists", "train_aug.txt");

        var e = Assert.Throws<DatasetException>(() => VocDataset.OpenList(tree.Root, list, Policy(policy)));
        var split = Assert.Throws<DatasetException>(() => VocDataset.Open(tree.Root, "test", Policy(policy)));

        output.WriteLine(e.Message);
        Assert.Equal((DatasetProblemKind.MissingFile, list), (e.Kind, e.Path));
        Assert.Equal("The list file does not exist.", e.Reason);
        Assert.Equal((DatasetProblemKind.MissingFile, tree.ListPath("test")), (split.Kind, split.Path));
    }

    [Theory]
    [InlineData(BadSamplePolicy.Stop)]
    [InlineData(BadSamplePolicy.Skip)]
    public void Missing_root(BadSamplePolicy policy)
    {
        string root = Path.Combine(tree.Root, "nowhere");

        var e = Assert.Throws<DatasetException>(() => VocDataset.Open(root, "train", Policy(policy)));

        Assert.Equal((DatasetProblemKind.MissingFile, root), (e.Kind, e.Path));
    }

    [Theory]
    [InlineData(BadSamplePolicy.Stop, "background\ncat\nCat\n", "appears more than once")]
    [InlineData(BadSamplePolicy.Skip, "background\n", "has 1 name(s)")]
    public void Bad_classes_txt(BadSamplePolicy policy, string content, string reason)
    {
        string path = tree.WriteFile("classes.txt", content);
        tree.AddSample("good", ["cat"]);
        tree.AddList("train", "good");

        var e = Assert.Throws<DatasetException>(() => VocDataset.Open(tree.Root, "train", Policy(policy)));

        output.WriteLine(e.Message);
        Assert.Equal((DatasetProblemKind.BadClassList, path), (e.Kind, e.Path));
        Assert.Contains(reason, e.Reason);
    }

    [Fact]
    public void Skip_with_no_usable_sample_throws_with_the_first_problem()
    {
        tree.AddList("train", "a", "b");

        var e = Assert.Throws<DatasetException>(() => VocDataset.Open(tree.Root, "train", Policy(BadSamplePolicy.Skip)));

        output.WriteLine(e.Message);
        Assert.Equal((DatasetProblemKind.NoUsableSamples, tree.ListPath("train")), (e.Kind, e.Path));
        Assert.Contains(tree.AnnotationPath("a"), e.Reason);
    }

    [Fact]
    public void Stop_reports_the_first_bad_sample_in_list_order_and_skip_keeps_list_order()
    {
        tree.AddSample("good", ["cat"]);
        tree.AddList("train", "m1", "good", "m2", "m3");

        var e = Assert.Throws<DatasetException>(() => VocDataset.Open(tree.Root, "train", new VocDatasetOptions { MaxDegreeOfParallelism = 4 }));
        Assert.Equal(tree.AnnotationPath("m1"), e.Path);

        VocDataset dataset = VocDataset.Open(tree.Root, "train", Policy(BadSamplePolicy.Skip));
        Assert.Equal(new[] { "m1", "m2", "m3" }, dataset.Problems.Select(p => p.SampleId));
    }
}
