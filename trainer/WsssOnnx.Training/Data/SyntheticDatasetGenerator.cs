using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using WsssOnnx.Datasets;
using WsssOnnx.Imaging;

namespace WsssOnnx.Training.Data;

/// <summary>
/// Writes a synthetic weakly supervised segmentation set in the PASCAL VOC layout <see cref="VocDataset"/> reads:
/// JPEGImages (JPEG), Annotations (VOC XML, one &lt;object&gt; per instance), SegmentationClass (VOC palette PNG, 255 on
/// object boundaries), ImageSets/Segmentation/{train,val,trainval}.txt, classes.txt, and synthetic.json (the options
/// and the measured <see cref="SyntheticDatasetSummary"/>). Each class is recognisable from a small badge inside a much
/// larger, only mildly class-dependent body, so a classifier's CAM under-covers objects as it does on VOC; SYNTHETIC.md
/// gives the design. Deterministic: the same options give the same bytes (on one platform), whatever the thread count.
/// </summary>
public static class SyntheticDatasetGenerator
{
    /// <summary>The number of distinct badge designs, hence of classes.</summary>
    public static int MaxClasses => BadgeGeometry.Names.Length;

    /// <summary>The file holding the options and summary of a generated set.</summary>
    public const string DescriptionFileName = "synthetic.json";

    private static readonly string[] OutputFolders = ["JPEGImages", "Annotations", "SegmentationClass", Path.Combine("ImageSets", "Segmentation")];

    /// <summary>The class list of a set with <paramref name="count"/> classes: background, then the first badge design names.</summary>
    public static VocClasses Classes(int count)
    {
        if (count < 1 || count > MaxClasses)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"a synthetic set has 1 to {MaxClasses} classes");
        return VocClasses.Create(["background", .. BadgeGeometry.Names[..count]]);
    }

    /// <summary>The id of image <paramref name="index"/> of the train or val list.</summary>
    public static string ImageId(bool val, int index) => (val ? "val_" : "train_") + index.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>
    /// Generates the set under <paramref name="root"/> (created if needed). <paramref name="progress"/> receives the
    /// number of images written so far, from worker threads, at most once per image.
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    /// <exception cref="IOException">The root already holds a generated set and <see cref="SyntheticDatasetOptions.Overwrite"/> is false, or a write failed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the root then holds a partial set.</exception>
    public static SyntheticDatasetSummary Generate(string root, SyntheticDatasetOptions? options = null, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        options = (options ?? new SyntheticDatasetOptions()).Validate();
        PrepareRoot(root, options.Overwrite);
        VocClasses classes = Classes(options.Classes);
        classes.Save(Path.Combine(root, VocClasses.FileName));

        int total = options.TrainImages + options.ValImages, done = 0;
        var stats = new SyntheticImageStats[total];
        Parallel.For(0, total, new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism ?? -1, CancellationToken = cancellationToken }, i =>
        {
            bool val = i >= options.TrainImages;
            int index = val ? i - options.TrainImages : i;
            SyntheticImage image = SyntheticScene.Render(options, val ? 1 : 0, index);
            Write(root, ImageId(val, index), image, classes, options);
            stats[i] = image.Stats;
            progress?.Report(Interlocked.Increment(ref done));
        });

        string lists = Path.Combine(root, "ImageSets", "Segmentation");
        string[] train = [.. Enumerable.Range(0, options.TrainImages).Select(i => ImageId(false, i))];
        string[] val = [.. Enumerable.Range(0, options.ValImages).Select(i => ImageId(true, i))];
        WriteList(Path.Combine(lists, "train.txt"), train);
        WriteList(Path.Combine(lists, "val.txt"), val);
        WriteList(Path.Combine(lists, "trainval.txt"), [.. train, .. val]);

        SyntheticDatasetSummary summary = SyntheticDatasetSummary.Measure(options, classes.Foreground, stats);
        WriteDescription(Path.Combine(root, DescriptionFileName), options, summary);
        return summary;
    }

    private static void PrepareRoot(string root, bool overwrite)
    {
        string[] existing = [.. OutputFolders.Where(f => Directory.Exists(Path.Combine(root, f)))
            .Concat(new[] { VocClasses.FileName, DescriptionFileName }.Where(f => File.Exists(Path.Combine(root, f))))];
        if (existing.Length > 0)
        {
            if (!overwrite)
                throw new IOException($"{root} already holds a dataset ({string.Join(", ", existing)}); choose an empty folder or set Overwrite.");
            // Only what this generator writes is removed, so stale images of a larger earlier set cannot linger.
            foreach (string folder in OutputFolders)
                if (Directory.Exists(Path.Combine(root, folder))) Directory.Delete(Path.Combine(root, folder), recursive: true);
            File.Delete(Path.Combine(root, VocClasses.FileName));
            File.Delete(Path.Combine(root, DescriptionFileName));
        }
        foreach (string folder in OutputFolders)
            Directory.CreateDirectory(Path.Combine(root, folder));
    }

    private static void Write(string root, string id, SyntheticImage image, VocClasses classes, SyntheticDatasetOptions options)
    {
        File.WriteAllBytes(Path.Combine(root, "JPEGImages", id + ".jpg"), JpegEncoder.Encode(image.Image, options.JpegQuality));
        File.WriteAllBytes(Path.Combine(root, "SegmentationClass", id + ".png"), PngEncoder.EncodeVocLabels(image.Labels));
        File.WriteAllBytes(Path.Combine(root, "Annotations", id + ".xml"), Annotation(id, image, classes, options));
    }

    /// <summary>A VOC-format annotation: one &lt;object&gt; per instance with its visible box (1-based, inclusive).</summary>
    private static byte[] Annotation(string id, SyntheticImage image, VocClasses classes, SyntheticDatasetOptions options)
    {
        using var buffer = new MemoryStream();
        var settings = new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true, NewLineChars = "\n", Encoding = new UTF8Encoding(false) };
        using (var xml = XmlWriter.Create(buffer, settings))
        {
            xml.WriteStartElement("annotation");
            xml.WriteElementString("folder", "synthetic");
            xml.WriteElementString("filename", id + ".jpg");
            xml.WriteStartElement("source");
            xml.WriteElementString("database", $"WsssOnnx synthetic, seed {options.Seed}");
            xml.WriteEndElement();
            xml.WriteStartElement("size");
            xml.WriteElementString("width", Invariant(image.Image.Width));
            xml.WriteElementString("height", Invariant(image.Image.Height));
            xml.WriteElementString("depth", "3");
            xml.WriteEndElement();
            xml.WriteElementString("segmented", "1");
            foreach (SyntheticObject o in image.Stats.Objects)
            {
                xml.WriteStartElement("object");
                xml.WriteElementString("name", classes.Foreground[o.Class]);
                xml.WriteElementString("pose", "Unspecified");
                xml.WriteElementString("truncated", o.Truncated ? "1" : "0");
                xml.WriteElementString("difficult", "0");
                xml.WriteStartElement("bndbox");
                xml.WriteElementString("xmin", Invariant(o.XMin));
                xml.WriteElementString("ymin", Invariant(o.YMin));
                xml.WriteElementString("xmax", Invariant(o.XMax));
                xml.WriteElementString("ymax", Invariant(o.YMax));
                xml.WriteEndElement();
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void WriteList(string path, string[] ids) => File.WriteAllText(path, ids.Length == 0 ? "" : string.Join('\n', ids) + "\n");

    private static void WriteDescription(string path, SyntheticDatasetOptions options, SyntheticDatasetSummary summary)
    {
        // Thread count and the overwrite flag do not shape the data, so they stay out: the file is part of the set's bytes.
        var description = new
        {
            generator = "WsssOnnx.Training.Data.SyntheticDatasetGenerator",
            options = options with { MaxDegreeOfParallelism = null, Overwrite = false },
            summary,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(description, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
