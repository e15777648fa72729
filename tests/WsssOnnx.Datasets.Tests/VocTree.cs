using System.Text;
using WsssOnnx.Imaging;

namespace WsssOnnx.Datasets.Tests;

/// <summary>A small PASCAL VOC-layout tree in a fresh temporary folder, written file by file by a test; deleted on dispose.</summary>
internal sealed class VocTree : IDisposable
{
    public VocTree()
    {
        Root = Path.Combine(Path.GetTempPath(), "wsss-voc-" + Guid.NewGuid().ToString("N"));
        foreach (string folder in new[] { "JPEGImages", "Annotations", "SegmentationClass", Path.Combine("ImageSets", "Segmentation") })
            Directory.CreateDirectory(Path.Combine(Root, folder));
    }

    public string Root { get; }

    public string ImagePath(string id) => Path.Combine(Root, "JPEGImages", id + ".jpg");

    public string AnnotationPath(string id) => Path.Combine(Root, "Annotations", id + ".xml");

    public string MaskPath(string id) => Path.Combine(Root, "SegmentationClass", id + ".png");

    public string ListPath(string split) => Path.Combine(Root, "ImageSets", "Segmentation", split + ".txt");

    /// <summary>An image, its annotation naming <paramref name="objects"/>, and optionally a mask.</summary>
    public void AddSample(string id, string[] objects, GrayImage? mask = null, int width = 24, int height = 16)
    {
        AddImage(id, width, height);
        AddAnnotation(id, [.. objects.Select(o => (o, false))]);
        if (mask is not null) AddMask(id, mask);
    }

    public void AddImage(string id, int width = 24, int height = 16) => File.WriteAllBytes(ImagePath(id), JpegEncoder.Encode(Gradient(width, height), quality: 90));

    /// <summary>A VOC annotation with one &lt;object&gt; per entry; the first object also carries a person-layout &lt;part&gt;.</summary>
    public void AddAnnotation(string id, params (string Name, bool Difficult)[] objects)
    {
        var xml = new StringBuilder($"<annotation>\n  <folder>VOC2012</folder>\n  <filename>{id}.jpg</filename>\n  <size><width>24</width><height>16</height><depth>3</depth></size>\n");
        for (int i = 0; i < objects.Length; i++)
        {
            xml.Append($"  <object>\n    <name>{objects[i].Name}</name>\n    <pose>Unspecified</pose>\n    <difficult>{(objects[i].Difficult ? 1 : 0)}</difficult>\n");
            xml.Append("    <bndbox><xmin>1</xmin><ymin>1</ymin><xmax>10</xmax><ymax>10</ymax></bndbox>\n");
            if (i == 0) xml.Append("    <part><name>head</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax></bndbox></part>\n");
            xml.Append("  </object>\n");
        }
        xml.Append("</annotation>\n");
        File.WriteAllText(AnnotationPath(id), xml.ToString());
    }

    public void AddMask(string id, GrayImage mask) => File.WriteAllBytes(MaskPath(id), PngEncoder.EncodeVocLabels(mask));

    public string AddList(string split, params string[] lines)
    {
        string path = ListPath(split);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    public string WriteFile(string relativePath, string content)
    {
        string path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public static GrayImage Labels(int width, int height, Func<int, int, byte> label)
    {
        var image = new GrayImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image.Pixels[y * width + x] = label(x, y);
        return image;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }

    private static RgbImage Gradient(int width, int height)
    {
        var image = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = 3 * (y * width + x);
                (image.Pixels[i], image.Pixels[i + 1], image.Pixels[i + 2]) = ((byte)(40 + 8 * x), (byte)(60 + 10 * y), 128);
            }
        return image;
    }
}
