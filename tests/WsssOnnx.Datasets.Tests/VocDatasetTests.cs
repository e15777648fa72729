using WsssOnnx.Imaging;
using WsssOnnx.Datasets;

namespace WsssOnnx.Datasets.Tests;

public sealed class VocDatasetTests : IDisposable
{
    private readonly VocTree tree = new();

    public void Dispose() => tree.Dispose();

    private static int Voc(string name) => VocClasses.Voc2012.TryGetForegroundIndex(name, out int i) ? i : throw new ArgumentException(name);

    [Fact]
    public void Labels_are_the_distinct_object_names_of_the_annotation()
    {
        tree.AddSample("2007_000001", ["person", "dog", "person"]);
        tree.AddSample("2007_000002", ["tvmonitor"]);
        tree.AddList("train", "2007_000001", "2007_000002");

        VocDataset dataset = VocDataset.Open(tree.Root, "train");

        Assert.Same(VocClasses.Voc2012, dataset.Classes);
        Assert.Equal(["2007_000001", "2007_000002"], dataset.Samples.Select(s => s.Id));
        VocSample first = dataset.Samples[0];
        Assert.Equal([Voc("dog"), Voc("person")], first.Classes);
        Assert.Equal((11, 14), (Voc("dog"), Voc("person"))); // VOC devkit order, background not counted
        float[] target = first.MultiHot();
        Assert.Equal(20, target.Length);
        Assert.Equal(2, target.Sum());
        Assert.Equal(1, target[11]);
        Assert.Equal(1, target[14]);
        Assert.Equal([19], dataset.Samples[1].Classes);
        Assert.Equal(tree.ImagePath("2007_000001"), first.ImagePath);
        Assert.Equal(tree.AnnotationPath("2007_000001"), first.AnnotationPath);
        Assert.Empty(dataset.Problems);
    }

    [Fact]
    public void Part_names_are_not_objects_and_names_match_ignoring_case_and_space()
    {
        // VocTree gives the first object a <part><name>head</name>: not a class, and not an error.
        tree.AddImage("a");
        tree.AddAnnotation("a", ("Person", false), (" horse ", false));
        tree.AddList("train", "a");

        Assert.Equal([Voc("horse"), Voc("person")], VocDataset.Open(tree.Root, "train").Samples[0].Classes);
    }

    [Fact]
    public void Difficult_objects_count_unless_excluded()
    {
        tree.AddImage("a");
        tree.AddAnnotation("a", ("cat", false), ("chair", true));
        tree.AddList("train", "a");

        Assert.Equal([Voc("cat"), Voc("chair")], VocDataset.Open(tree.Root, "train").Samples[0].Classes);
        Assert.Equal([Voc("cat")], VocDataset.Open(tree.Root, "train", new VocDatasetOptions { IncludeDifficult = false }).Samples[0].Classes);
    }

    [Fact]
    public void An_image_with_no_objects_has_no_labels()
    {
        tree.AddSample("a", []);
        tree.AddList("train", "a");

        Assert.Empty(VocDataset.Open(tree.Root, "train").Samples[0].Classes);
    }

    [Fact]
    public void Masks_read_back_as_palette_indices_and_missing_masks_are_null()
    {
        GrayImage mask = VocTree.Labels(24, 16, (x, y) => x < 8 ? (byte)0 : x < 16 ? (byte)15 : y < 4 ? VocClasses.IgnoreLabel : (byte)20);
        tree.AddSample("with", ["person", "tvmonitor"], mask);
        tree.AddSample("without", ["cat"]);
        tree.AddList("val", "with", "without");

        VocDataset dataset = VocDataset.Open(tree.Root, "val");

        VocSample with = dataset.Samples[0], without = dataset.Samples[1];
        Assert.Equal(tree.MaskPath("with"), with.MaskPath);
        GrayImage read = dataset.LoadMask(with);
        Assert.Equal((24, 16), (read.Width, read.Height));
        Assert.Equal(mask.Pixels, read.Pixels);
        Assert.Null(without.MaskPath);
        var missing = Assert.Throws<DatasetException>(() => dataset.LoadMask(without));
        Assert.Equal(DatasetProblemKind.MissingFile, missing.Kind);
        Assert.Contains("without", missing.Message);
    }

    [Fact]
    public void Images_decode_to_their_size()
    {
        tree.AddSample("a", ["cat"], width: 40, height: 24);
        tree.AddList("train", "a");
        VocDataset dataset = VocDataset.Open(tree.Root, "train");

        RgbImage image = dataset.LoadImage(dataset.Samples[0]);

        Assert.Equal((40, 24), (image.Width, image.Height));
    }

    [Fact]
    public void Each_split_reads_its_own_list_and_blank_lines_are_skipped()
    {
        foreach (string id in new[] { "a", "b", "c" }) tree.AddSample(id, ["cow"]);
        tree.AddList("train", "a", "", "  b  ", "");
        tree.AddList("val", "c");
        tree.AddList("trainval", "a", "b", "c");

        Assert.Equal(["a", "b"], VocDataset.Open(tree.Root, "train").Samples.Select(s => s.Id));
        Assert.Equal(["c"], VocDataset.Open(tree.Root, "val").Samples.Select(s => s.Id));
        Assert.Equal(3, VocDataset.Open(tree.Root, "trainval").Samples.Count);
        Assert.Throws<ArgumentException>(() => VocDataset.Open(tree.Root, " "));
    }

    [Fact]
    public void Train_aug_pair_lines_name_image_and_mask_relative_to_the_root()
    {
        tree.AddSample("2008_000002", ["bus"]);
        tree.AddSample("2008_000003", ["boat", "bird"]);
        GrayImage aug = VocTree.Labels(24, 16, (x, _) => x < 12 ? (byte)0 : (byte)6);
        Directory.CreateDirectory(Path.Combine(tree.Root, "SegmentationClassAug"));
        File.WriteAllBytes(Path.Combine(tree.Root, "SegmentationClassAug", "2008_000002.png"), PngEncoder.EncodeVocLabels(aug));
        string list = tree.WriteFile(Path.Combine("lists", "train_aug.txt"),
            "/JPEGImages/2008_000002.jpg /SegmentationClassAug/2008_000002.png\nJPEGImages/2008_000003.jpg SegmentationClassAug/2008_000003.png\n");

        VocDataset dataset = VocDataset.OpenList(tree.Root, list);

        Assert.Equal(["2008_000002", "2008_000003"], dataset.Samples.Select(s => s.Id));
        Assert.Equal(Path.Combine(tree.Root, "SegmentationClassAug", "2008_000002.png"), dataset.Samples[0].MaskPath);
        Assert.Equal(aug.Pixels, dataset.LoadMask(dataset.Samples[0]).Pixels);
        Assert.Null(dataset.Samples[1].MaskPath); // named by the list but not on disk, and masks are not required
        Assert.Equal([Voc("bird"), Voc("boat")], dataset.Samples[1].Classes);
        Assert.Equal(tree.ImagePath("2008_000003"), dataset.Samples[1].ImagePath);
    }

    [Fact]
    public void A_list_of_ids_anywhere_on_disk_uses_the_mask_folder_option()
    {
        tree.AddSample("a", ["sheep"]);
        Directory.CreateDirectory(Path.Combine(tree.Root, "SegmentationClassAug"));
        File.WriteAllBytes(Path.Combine(tree.Root, "SegmentationClassAug", "a.png"), PngEncoder.EncodeVocLabels(new GrayImage(24, 16)));
        string list = Path.Combine(tree.Root, "train_aug.txt");
        File.WriteAllText(list, "a\n");

        Assert.Null(VocDataset.OpenList(tree.Root, list).Samples[0].MaskPath);
        Assert.Equal(Path.Combine(tree.Root, "SegmentationClassAug", "a.png"),
            VocDataset.OpenList(tree.Root, list, new VocDatasetOptions { MaskFolder = "SegmentationClassAug" }).Samples[0].MaskPath);
    }

    [Fact]
    public void Classes_txt_replaces_the_voc_classes()
    {
        tree.WriteFile("classes.txt", "background\ndisc\n  triangle \n\nsquare\n");
        tree.AddSample("a", ["square", "disc", "square"]);
        tree.AddList("train", "a");

        VocDataset dataset = VocDataset.Open(tree.Root, "train");

        Assert.Equal(["disc", "triangle", "square"], dataset.Classes.Foreground);
        Assert.Equal("background", dataset.Classes.Background);
        Assert.Equal([0, 2], dataset.Samples[0].Classes);
        Assert.Equal([1, 0, 1], dataset.Samples[0].MultiHot());
    }

    [Fact]
    public void Voc_class_names_are_unknown_under_a_custom_class_list()
    {
        tree.WriteFile("classes.txt", "background\ndisc\n");
        tree.AddSample("a", ["dog"]);
        tree.AddList("train", "a");

        var e = Assert.Throws<DatasetException>(() => VocDataset.Open(tree.Root, "train"));

        Assert.Equal(DatasetProblemKind.UnknownClass, e.Kind);
    }

    [Fact]
    public void Class_lists_round_trip_and_reject_bad_names()
    {
        VocClasses classes = VocClasses.Create(["bg", "a", "b"]);
        string path = Path.Combine(tree.Root, "classes.txt");
        classes.Save(path);

        Assert.Equal(classes.All, VocClasses.Load(path).All);
        Assert.Equal(21, VocClasses.Voc2012.All.Count);
        Assert.Equal("tvmonitor", VocClasses.Voc2012.All[20]);
        Assert.Throws<ArgumentException>(() => VocClasses.Create(["background"]));
        Assert.Throws<ArgumentException>(() => VocClasses.Create(["background", "a", "A"]));
        Assert.Throws<ArgumentException>(() => VocClasses.Create(["background", ""]));
        Assert.Throws<ArgumentException>(() => VocClasses.Create(Enumerable.Range(0, 256).Select(i => $"c{i}")));
        Assert.Equal(255, VocClasses.Create(Enumerable.Range(0, 255).Select(i => $"c{i}")).All.Count);
    }

    [Fact]
    public void Missing_images_are_not_looked_for_at_open_when_the_check_is_off()
    {
        tree.AddAnnotation("a", ("cat", false));
        tree.AddList("train", "a");

        VocDataset dataset = VocDataset.Open(tree.Root, "train", new VocDatasetOptions { CheckImagesOnOpen = false });

        var e = Assert.Throws<DatasetException>(() => dataset.LoadImage(dataset.Samples[0]));
        Assert.Equal(DatasetProblemKind.MissingFile, e.Kind);
        Assert.Equal(tree.ImagePath("a"), e.Path);
    }

    [Fact]
    public void Options_name_the_bad_field()
    {
        tree.AddSample("a", ["cat"]);
        tree.AddList("train", "a");

        var e = Assert.Throws<ArgumentException>(() => VocDataset.Open(tree.Root, "train", new VocDatasetOptions { MaskFolder = "../elsewhere" }));
        Assert.Equal(nameof(VocDatasetOptions.MaskFolder), e.ParamName);
        e = Assert.Throws<ArgumentException>(() => VocDataset.Open(tree.Root, "train", new VocDatasetOptions { MaxDegreeOfParallelism = 0 }));
        Assert.Equal(nameof(VocDatasetOptions.MaxDegreeOfParallelism), e.ParamName);
    }
}
