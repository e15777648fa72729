using System.Xml;
using System.Xml.Linq;

namespace WsssOnnx.Cli;

/// <summary>
/// A PASCAL VOC-layout dataset as relabel and eval read it: ImageSets/Segmentation/&lt;split&gt;.txt lists the ids,
/// JPEGImages/&lt;id&gt;.jpg the images, Annotations/&lt;id&gt;.xml the image-level labels (object names),
/// SegmentationClass/&lt;id&gt;.png the ground truth, and classes.txt (optional) the class names, background first.
/// </summary>
internal sealed class VocSplit
{
    private VocSplit(string root, string split, IReadOnlyList<string> ids)
    {
        Root = root;
        Split = split;
        Ids = ids;
    }

    public string Root { get; }

    public string Split { get; }

    public IReadOnlyList<string> Ids { get; }

    /// <exception cref="CommandFailedException">The root or the split list is missing.</exception>
    public static VocSplit Open(string root, string split)
    {
        if (!Directory.Exists(root)) throw new CommandFailedException($"the dataset folder {root} does not exist.");
        // A split is a name in ImageSets/Segmentation or the path of a list file (SBD's train_aug.txt).
        bool isPath = split.EndsWith(".txt", StringComparison.Ordinal) || split.Contains('/');
        string list = isPath ? Path.GetFullPath(split) : Path.Combine(root, "ImageSets", "Segmentation", split + ".txt");
        if (!File.Exists(list)) throw new CommandFailedException($"the split list {list} does not exist.");
        // A line is an id, or (DeepLab's lists) "/JPEGImages/<id>.jpg /SegmentationClassAug/<id>.png": the first field's stem.
        var ids = File.ReadAllLines(list).Select(l => l.Trim()).Where(l => l.Length > 0)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0])
            .Select(f => f.Contains('/') ? Path.GetFileNameWithoutExtension(f) : f)
            .Distinct(StringComparer.Ordinal).ToList();
        return new VocSplit(root, isPath ? Path.GetFileNameWithoutExtension(list) : split, ids);
    }

    public string ImagePath(string id) => Path.Combine(Root, "JPEGImages", id + ".jpg");

    public string AnnotationPath(string id) => Path.Combine(Root, "Annotations", id + ".xml");

    public string GroundTruthPath(string id) => Path.Combine(Root, "SegmentationClass", id + ".png");

    /// <summary>classes.txt's names (background first), or null when the dataset has none.</summary>
    public IReadOnlyList<string>? ClassNames()
    {
        string path = Path.Combine(Root, "classes.txt");
        if (!File.Exists(path)) return null;
        return [.. File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0)];
    }

    /// <summary>The distinct object names of an image's annotation, in file order.</summary>
    /// <exception cref="InvalidDataException">The annotation is missing, not XML, or names no object.</exception>
    public IReadOnlyList<string> ObjectNames(string id)
    {
        string path = AnnotationPath(id);
        XDocument document;
        try
        {
            document = XDocument.Load(path);
        }
        catch (Exception e) when (e is XmlException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot read the annotation {path}: {e.Message}", e);
        }
        var names = document.Descendants("object").Select(o => ((string?)o.Element("name"))?.Trim())
            .Where(n => !string.IsNullOrEmpty(n)).Select(n => n!).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (names.Count == 0) throw new InvalidDataException($"the annotation {path} names no object.");
        return names;
    }
}
