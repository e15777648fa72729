using WsssOnnx.Datasets;
using WsssOnnx.Imaging;
using WsssOnnx.Training.Data;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Training.Tests.Loop;

/// <summary>
/// Semi-supervised label sourcing: the images of the pixel-label split train on their ground-truth masks, every other
/// training image on its pseudo-label; a split that is not a subset of the training images with masks is refused.
/// </summary>
public sealed class PixelLabelledSetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("wsss-pixel-").FullName;

    public PixelLabelledSetTests() =>
        SyntheticDatasetGenerator.Generate(_root, new SyntheticDatasetOptions { TrainImages = 6, ValImages = 2, Width = 96, Height = 96, Classes = 3 });

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string List(string name, params string[] ids)
    {
        string path = Path.Combine(_root, name + ".txt");
        File.WriteAllLines(path, ids);
        return path;
    }

    [Fact]
    public void Pixel_labelled_images_take_their_ground_truth_and_the_others_their_pseudo_labels()
    {
        var train = VocDataset.Open(_root, "train");
        var ids = train.Samples.Select(s => s.Id).ToList();
        string[] labelled = [ids[1], ids[4]];
        // Pseudo-labels: every pixel 255 (no synthetic mask is all ignore), and none for the pixel-labelled images.
        string labels = Path.Combine(_root, "pseudo");
        Directory.CreateDirectory(labels);
        foreach (var id in ids.Except(labelled))
        {
            var map = new GrayImage(96, 96);
            Array.Fill(map.Pixels, (byte)255);
            File.WriteAllBytes(Path.Combine(labels, id + ".png"), PngEncoder.EncodeVocLabels(map));
        }

        var set = PixelLabelledSet.Open(train, List("few", labelled));
        Assert.Equal("few", set.Split);
        Assert.Equal(labelled.Order(), set.Ids.Order());
        var source = new VocTrainingSource(train, labels, pixelLabelled: set.Ids);
        for (int i = 0; i < source.Count; i++)
        {
            string id = source.IdOf(i);
            var mask = source.Load(i, withMask: true).Mask!;
            bool groundTruth = labelled.Contains(id);
            Assert.Equal(groundTruth, source.UsesGroundTruth(id));
            if (groundTruth)
            {
                Assert.Equal(train.LoadMask(train.Samples[i]).Pixels, mask.Pixels);
                Assert.Contains(mask.Pixels, p => p != 255);
            }
            else
            {
                Assert.All(mask.Pixels, p => Assert.Equal(255, p));
            }
        }

        // Without the set every image needs its pseudo-label, and without a label folder every image is ground truth.
        Assert.Throws<FileNotFoundException>(() => new VocTrainingSource(train, labels).Load(1, withMask: true));
        Assert.True(new VocTrainingSource(train).UsesGroundTruth(ids[0]));
    }

    [Fact]
    public void Ids_outside_the_training_list_are_refused_by_name()
    {
        var train = VocDataset.Open(_root, "train");
        var e = Assert.Throws<ArgumentException>(() => PixelLabelledSet.Open(train, List("mixed", train.Samples[0].Id, "val_000001")));
        Assert.Contains("1 images that are not training images", e.Message);
        Assert.Contains("val_000001", e.Message);
    }

    [Fact]
    public void Images_without_a_ground_truth_mask_are_refused_by_name()
    {
        string id = VocDataset.Open(_root, "train").Samples[2].Id;
        File.Delete(Path.Combine(_root, VocLayout.MaskFolder, id + ".png"));
        var train = VocDataset.Open(_root, "train");
        var e = Assert.Throws<ArgumentException>(() => PixelLabelledSet.Open(train, List("unlabelled", id)));
        Assert.Contains("without a ground-truth mask", e.Message);
        Assert.Contains(id, e.Message);
    }

    [Fact]
    public void A_missing_list_is_a_dataset_error_naming_it()
    {
        var train = VocDataset.Open(_root, "train");
        string missing = Path.Combine(_root, "absent.txt");
        var e = Assert.Throws<DatasetException>(() => PixelLabelledSet.Open(train, missing));
        Assert.Contains("absent.txt", e.Message);
    }
}
