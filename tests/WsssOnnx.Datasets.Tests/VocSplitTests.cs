using WsssOnnx.Imaging;

namespace WsssOnnx.Datasets.Tests;

/// <summary>The split rule (name vs list file), list lines (ids, SBD pairs, blanks, malformed), classes.txt and object names.</summary>
public sealed class VocSplitTests : IDisposable
{
    private readonly VocTree tree = new();

    public void Dispose() => tree.Dispose();

    [Fact]
    public void A_plain_name_is_a_list_under_ImageSets_Segmentation()
    {
        foreach (string id in new[] { "a", "b" }) tree.AddSample(id, ["cat"]);
        tree.AddList("train", "b", "a");

        Assert.False(VocLayout.IsListPath("train"));
        Assert.Equal(tree.ListPath("train"), VocLayout.SplitListPath(tree.Root, "train"));
        VocSplit split = VocSplit.Open(tree.Root, "train");
        Assert.Equal("train", split.Name);
        Assert.Equal(tree.ListPath("train"), split.ListPath);
        Assert.Equal(["b", "a"], split.Ids);
        Assert.Equal(tree.ImagePath("a"), split.ImagePath("a"));
        Assert.Equal(tree.MaskPath("a"), split.MaskPath("a"));
        Assert.Equal(tree.AnnotationPath("a"), split.AnnotationPath("a"));
    }

    [Theory]
    [InlineData("lists/train_aug", true)]
    [InlineData("lists\\train_aug", true)]
    [InlineData("train_aug.txt", true)]
    [InlineData("TRAIN.TXT", true)]
    [InlineData("train_aug", false)]
    [InlineData("val", false)]
    public void Slashes_and_a_txt_ending_make_a_split_a_path(string split, bool isPath)
    {
        Assert.Equal(isPath, VocLayout.IsListPath(split));
        string expected = isPath ? Path.GetFullPath(split) : Path.Combine(tree.Root, "ImageSets", "Segmentation", split + ".txt");
        Assert.Equal(expected, VocLayout.SplitListPath(tree.Root, split));
    }

    [Fact]
    public void An_existing_file_is_a_path_even_without_slash_or_txt()
    {
        tree.AddSample("a", ["dog"]);
        tree.AddList("mine", "missing-from-this-list");
        string name = "wsss-list-" + Guid.NewGuid().ToString("N"); // relative to the working directory, like a shell argument
        File.WriteAllText(name, "a\n");
        try
        {
            Assert.True(VocLayout.IsListPath(name));
            VocSplit split = VocSplit.Open(tree.Root, name);
            Assert.Equal(["a"], split.Ids);
            Assert.Equal(Path.GetFullPath(name), split.ListPath);
        }
        finally
        {
            File.Delete(name);
        }
    }

    [Fact]
    public void Sbd_pair_lines_take_the_id_from_the_image_path_and_the_mask_from_the_second_path()
    {
        foreach (string id in new[] { "2008_000002", "2008_000003", "2008_000004" }) tree.AddSample(id, ["bus"]);
        string list = tree.WriteFile(Path.Combine("elsewhere", "train_aug.txt"),
            "\n/JPEGImages/2008_000002.jpg /SegmentationClassAug/2008_000002.png\n   \nJPEGImages/2008_000003.jpg SegmentationClassAug/2008_000003.png\n2008_000004\n");

        VocSplit split = VocSplit.Open(tree.Root, list);
        VocDataset dataset = VocDataset.Open(tree.Root, list);

        Assert.Equal("train_aug", split.Name);
        Assert.Equal(["2008_000002", "2008_000003", "2008_000004"], split.Ids);
        Assert.Equal(split.Ids, dataset.Samples.Select(s => s.Id));
        Assert.Equal([2, 4, 5], split.Entries.Select(e => e.Line));
        Assert.Equal(tree.ImagePath("2008_000002"), split.ImagePath("2008_000002"));
        Assert.Equal(Path.Combine(tree.Root, "SegmentationClassAug", "2008_000003.png"), split.MaskPath("2008_000003"));
        Assert.Equal(tree.MaskPath("2008_000004"), split.MaskPath("2008_000004")); // a bare id: SegmentationClass
        Assert.Throws<KeyNotFoundException>(() => split.ImagePath("2008_000009"));
    }

    [Fact]
    public void A_missing_split_says_where_it_was_looked_for()
    {
        var byName = Assert.Throws<DatasetException>(() => VocSplit.Open(tree.Root, "test"));
        Assert.Equal((DatasetProblemKind.MissingFile, tree.ListPath("test")), (byName.Kind, byName.Path));
        Assert.Contains("'test' is a name", byName.Message);

        string path = Path.Combine(tree.Root, "lists", "train_aug.txt");
        var byPath = Assert.Throws<DatasetException>(() => VocSplit.Open(tree.Root, path));
        Assert.Equal((DatasetProblemKind.MissingFile, path), (byPath.Kind, byPath.Path));
        Assert.Equal("The split's list file does not exist.", byPath.Reason);

        string noRoot = Path.Combine(tree.Root, "no-such-dataset");
        var root = Assert.Throws<DatasetException>(() => VocSplit.Open(noRoot, "train"));
        Assert.Equal((DatasetProblemKind.MissingFile, noRoot), (root.Kind, root.Path));
        Assert.Throws<ArgumentException>(() => VocSplit.Open(tree.Root, ""));
    }

    [Theory]
    [InlineData("a\nb c d\n", 2, "has 3 fields")]
    [InlineData("a\n\n/../secret.jpg\n", 3, "outside the dataset root")]
    [InlineData("a\nb\n/JPEGImages/a.jpg /SegmentationClassAug/a.png\n", 3, "repeats the id 'a' first listed on line 1")]
    public void A_malformed_line_is_refused_with_the_file_and_the_line(string content, int line, string reason)
    {
        foreach (string id in new[] { "a", "b" }) tree.AddSample(id, ["cow"]);
        string list = tree.WriteFile("bad.txt", content);

        var e = Assert.Throws<DatasetException>(() => VocSplit.Open(tree.Root, list));

        Assert.Equal((DatasetProblemKind.MalformedList, list), (e.Kind, e.Path));
        Assert.StartsWith($"{list}: Line {line} ", e.Message);
        Assert.Contains(reason, e.Message);
        // The trainer's dataset refuses the same line, or under Skip leaves it out and keeps the rest.
        Assert.Equal(DatasetProblemKind.MalformedList, Assert.Throws<DatasetException>(() => VocDataset.Open(tree.Root, list)).Kind);
        VocDataset skipped = VocDataset.Open(tree.Root, list, new VocDatasetOptions { BadSamples = BadSamplePolicy.Skip });
        Assert.Contains("a", skipped.Samples.Select(s => s.Id));
        Assert.Equal(e.Problem, Assert.Single(skipped.Problems));
    }

    [Fact]
    public void The_root_of_a_list_is_known_only_for_lists_in_ImageSets_Segmentation()
    {
        Assert.Equal(Path.GetFullPath(tree.Root), VocLayout.RootOfSplitList(tree.AddList("train", "a")));
        Assert.Null(VocLayout.RootOfSplitList(tree.WriteFile(Path.Combine("lists", "train_aug.txt"), "a\n")));
        Assert.Null(VocLayout.RootOfSplitList(Path.Combine(tree.Root, "gone", "ImageSets", "Segmentation", "train.txt")));
    }

    [Fact]
    public void A_list_of_blank_lines_names_no_samples()
    {
        string list = tree.AddList("train", "", "  ", "");
        var e = Assert.Throws<DatasetException>(() => VocSplit.Open(tree.Root, "train"));
        Assert.Equal((DatasetProblemKind.EmptyList, list), (e.Kind, e.Path));
    }

    [Fact]
    public void Without_classes_txt_the_classes_are_voc_2012s_in_devkit_order()
    {
        tree.AddSample("a", ["cat"]);
        tree.AddList("val", "a");

        VocClasses classes = VocSplit.Open(tree.Root, "val").Classes();

        Assert.Same(VocClasses.Voc2012, classes);
        Assert.Equal(21, classes.All.Count);
        Assert.Equal(["background", "aeroplane", "bicycle"], classes.All.Take(3));
        Assert.Equal("person", classes.All[15]);
        Assert.Equal("tvmonitor", classes.All[20]);
    }

    [Fact]
    public void A_classes_txt_replaces_the_default_and_a_bad_one_is_refused()
    {
        tree.AddList("val", "a");
        tree.WriteFile(VocClasses.FileName, "sky\n\nstar\nmoon\n");
        Assert.Equal(["sky", "star", "moon"], VocSplit.Open(tree.Root, "val").Classes().All);

        string path = tree.WriteFile(VocClasses.FileName, "sky\nstar\nSTAR\n");
        var e = Assert.Throws<DatasetException>(() => VocSplit.Open(tree.Root, "val").Classes());
        Assert.Equal((DatasetProblemKind.BadClassList, path), (e.Kind, e.Path));
    }

    [Fact]
    public void An_id_without_an_image_is_listed_by_the_split_and_refused_by_the_dataset()
    {
        tree.AddSample("a", ["cat"]);
        tree.AddAnnotation("ghost", ("dog", false));
        tree.AddList("train", "a", "ghost");

        VocSplit split = VocSplit.Open(tree.Root, "train");
        Assert.Equal(["a", "ghost"], split.Ids);
        Assert.False(File.Exists(split.ImagePath("ghost")));

        var e = Assert.Throws<DatasetException>(() => VocDataset.Open(tree.Root, "train"));
        Assert.Equal((DatasetProblemKind.MissingFile, tree.ImagePath("ghost"), "ghost"), (e.Kind, e.Path, e.Problem.SampleId));
        VocDataset skipped = VocDataset.Open(tree.Root, "train", new VocDatasetOptions { BadSamples = BadSamplePolicy.Skip });
        Assert.Equal(["a"], skipped.Samples.Select(s => s.Id));
        Assert.Equal(tree.ImagePath("ghost"), Assert.Single(skipped.Problems).Path);
    }

    [Fact]
    public void Object_names_are_the_annotations_distinct_objects_as_the_dataset_labels_them()
    {
        tree.AddImage("a");
        tree.AddAnnotation("a", ("Dog", false), ("person", true), ("dog ", false), ("cat", false));
        tree.AddImage("empty");
        tree.AddAnnotation("empty");
        tree.AddList("train", "a", "empty");
        VocSplit split = VocSplit.Open(tree.Root, "train");

        IReadOnlyList<string> names = split.ObjectNames("a");

        Assert.Equal(["Dog", "person", "cat"], names); // file order, first spelling, parts ignored
        Assert.Equal(["Dog", "cat"], VocAnnotation.ReadObjectNames(split.AnnotationPath("a"), includeDifficult: false));
        Assert.Empty(split.ObjectNames("empty"));
        int[] fromNames = [.. names.Select(n => VocClasses.Voc2012.TryGetForegroundIndex(n, out int i) ? i : -1).Order()];
        Assert.Equal(fromNames, VocDataset.Open(tree.Root, "train").Samples[0].Classes);

        File.WriteAllText(split.AnnotationPath("a"), "<annotation><object><name> </name></object></annotation>");
        var e = Assert.Throws<DatasetException>(() => split.ObjectNames("a"));
        Assert.Equal((DatasetProblemKind.MalformedAnnotation, "a"), (e.Kind, e.Problem.SampleId));
        File.Delete(split.AnnotationPath("a"));
        Assert.Equal(DatasetProblemKind.MissingFile, Assert.Throws<DatasetException>(() => split.ObjectNames("a")).Kind);
    }

    [Fact]
    public void Masks_of_an_sbd_list_load_from_SegmentationClassAug()
    {
        tree.AddSample("a", ["bus"]);
        GrayImage aug = VocTree.Labels(24, 16, (x, _) => x < 12 ? (byte)0 : (byte)6);
        Directory.CreateDirectory(Path.Combine(tree.Root, "SegmentationClassAug"));
        File.WriteAllBytes(Path.Combine(tree.Root, "SegmentationClassAug", "a.png"), PngEncoder.EncodeVocLabels(aug));
        string list = tree.WriteFile("train_aug.txt", "/JPEGImages/a.jpg /SegmentationClassAug/a.png\n");

        VocDataset dataset = VocDataset.Open(tree.Root, list, new VocDatasetOptions { RequireMasks = true });

        Assert.Equal(VocSplit.Open(tree.Root, list).MaskPath("a"), dataset.Samples[0].MaskPath);
        Assert.Equal(aug.Pixels, dataset.LoadMask(dataset.Samples[0]).Pixels);
    }
}
