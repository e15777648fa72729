using System.Xml.Linq;
using WsssOnnx.Datasets;
using WsssOnnx.Imaging;

namespace WsssOnnx.Cli.Tests;

/// <summary>
/// A VOC-layout set unlike the ones make-dataset writes, as a user's own data may be: images of mixed non-square sizes
/// (crops of a synthetic set, so the masks stay exact), every third one a one-component greyscale JPEG, masks as grey
/// index PNGs (SBD's SegmentationClassAug style) instead of palette PNGs, VOC 2012 class names and no classes.txt.
/// The annotations list exactly the classes visible in each crop.
/// </summary>
public sealed class ForeignVocDataset : IDisposable
{
    private static readonly (int Width, int Height)[] Sizes = [(120, 84), (84, 120), (104, 72), (120, 120), (90, 110), (72, 96)];
    private readonly string source;

    public ForeignVocDataset()
    {
        source = Directory.CreateTempSubdirectory("wsss-foreign-source-").FullName;
        Root = Directory.CreateTempSubdirectory("wsss-foreign-").FullName;
        var (code, stdout, stderr) = CliProcess.RunTrainer("make-dataset", "--out", source, "--train", "8", "--val", "4", "--size", "120",
            "--classes", "5", "--seed", "3", "--overwrite");
        if (code != 0) throw new InvalidOperationException($"make-dataset failed ({code}): {stdout}{stderr}");

        foreach (string folder in (string[])["JPEGImages", "Annotations", "SegmentationClass", "ImageSets/Segmentation"])
            Directory.CreateDirectory(Path.Combine(Root, folder));
        foreach (string split in (string[])["train", "val", "trainval"])
            File.Copy(Path.Combine(source, "ImageSets", "Segmentation", split + ".txt"), Path.Combine(Root, "ImageSets", "Segmentation", split + ".txt"));

        var decoder = new ImageDecoder();
        var ids = Ids("trainval");
        for (int k = 0; k < ids.Count; k++)
        {
            string id = ids[k];
            RgbImage image = decoder.DecodeRgb(File.ReadAllBytes(Path.Combine(source, "JPEGImages", id + ".jpg")));
            GrayImage mask = decoder.DecodeLabels(File.ReadAllBytes(Path.Combine(source, "SegmentationClass", id + ".png")));
            var (width, height) = Sizes[k % Sizes.Length];
            (RgbImage cropped, GrayImage croppedMask) = (Crop(image, width, height), Crop(mask, width, height));
            if (VisibleClasses(croppedMask).Count == 0) (cropped, croppedMask) = (image, mask);
            bool grey = k % 3 == 0;
            File.WriteAllBytes(Path.Combine(Root, "JPEGImages", id + ".jpg"), grey ? JpegEncoder.EncodeGray(Luma(cropped), 90) : JpegEncoder.Encode(cropped, 90));
            File.WriteAllBytes(Path.Combine(Root, "SegmentationClass", id + ".png"), PngEncoder.EncodeGray(croppedMask));
            WriteAnnotation(id, croppedMask, grey ? 1 : 3);
            ImageSizes[id] = (cropped.Width, cropped.Height);
            if (grey) GreyIds.Add(id);
        }
    }

    public string Root { get; }

    /// <summary>Each image's width and height as written.</summary>
    public Dictionary<string, (int Width, int Height)> ImageSizes { get; } = [];

    /// <summary>The ids written as one-component greyscale JPEGs.</summary>
    public List<string> GreyIds { get; } = [];

    public IReadOnlyList<string> Ids(string split) =>
        [.. File.ReadAllLines(Path.Combine(source, "ImageSets", "Segmentation", split + ".txt")).Where(l => l.Trim().Length > 0)];

    /// <summary>The window of the given size at the image's top-left corner offset by a quarter of the slack.</summary>
    private static RgbImage Crop(RgbImage image, int width, int height)
    {
        var result = new RgbImage(width, height);
        int x0 = (image.Width - width) / 4, y0 = (image.Height - height) / 4;
        for (int y = 0; y < height; y++) image.Row(y0 + y).Slice(3 * x0, 3 * width).CopyTo(result.Row(y));
        return result;
    }

    private static GrayImage Crop(GrayImage image, int width, int height)
    {
        var result = new GrayImage(width, height);
        int x0 = (image.Width - width) / 4, y0 = (image.Height - height) / 4;
        for (int y = 0; y < height; y++) image.Row(y0 + y).Slice(x0, width).CopyTo(result.Row(y));
        return result;
    }

    /// <summary>ITU-R BT.601 luma, Y = 0.299 R + 0.587 G + 0.114 B.</summary>
    private static GrayImage Luma(RgbImage image)
    {
        var result = new GrayImage(image.Width, image.Height);
        for (int i = 0; i < result.Pixels.Length; i++)
            result.Pixels[i] = (byte)Math.Round(0.299 * image.Pixels[3 * i] + 0.587 * image.Pixels[3 * i + 1] + 0.114 * image.Pixels[3 * i + 2]);
        return result;
    }

    private static SortedSet<int> VisibleClasses(GrayImage mask) =>
        [.. mask.Pixels.Where(v => v != 0 && v != VocClasses.IgnoreLabel).Select(v => (int)v)];

    /// <summary>A VOC annotation: the size, and one object per visible class with its mask's box (1-based, inclusive).</summary>
    private void WriteAnnotation(string id, GrayImage mask, int depth)
    {
        var annotation = new XElement("annotation",
            new XElement("filename", id + ".jpg"),
            new XElement("size", new XElement("width", mask.Width), new XElement("height", mask.Height), new XElement("depth", depth)),
            new XElement("segmented", 1));
        foreach (int c in VisibleClasses(mask))
        {
            int xMin = int.MaxValue, yMin = int.MaxValue, xMax = -1, yMax = -1;
            for (int y = 0; y < mask.Height; y++)
                for (int x = 0; x < mask.Width; x++)
                    if (mask.Pixels[y * mask.Width + x] == c) (xMin, yMin, xMax, yMax) = (Math.Min(xMin, x), Math.Min(yMin, y), Math.Max(xMax, x), Math.Max(yMax, y));
            annotation.Add(new XElement("object",
                new XElement("name", VocClasses.Voc2012.Foreground[c - 1]),
                new XElement("truncated", 0),
                new XElement("difficult", 0),
                new XElement("bndbox", new XElement("xmin", xMin + 1), new XElement("ymin", yMin + 1), new XElement("xmax", xMax + 1), new XElement("ymax", yMax + 1))));
        }
        new XDocument(annotation).Save(Path.Combine(Root, "Annotations", id + ".xml"));
    }

    public void Dispose()
    {
        Directory.Delete(source, recursive: true);
        Directory.Delete(Root, recursive: true);
    }
}
