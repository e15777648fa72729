namespace WsssOnnx.Datasets;

/// <summary>
/// Where a PASCAL VOC 2012-layout dataset keeps its files, and how a split argument names its list. The one place the
/// trainer and the CLI learn the layout from:
/// <c>JPEGImages/&lt;id&gt;.jpg</c>, <c>Annotations/&lt;id&gt;.xml</c>, <c>SegmentationClass/&lt;id&gt;.png</c> (SBD:
/// <c>SegmentationClassAug/</c>), lists under <c>ImageSets/Segmentation/</c>, and an optional <c>classes.txt</c>.
/// </summary>
public static class VocLayout
{
    public const string ImageFolder = "JPEGImages";

    public const string AnnotationFolder = "Annotations";

    /// <summary>VOC 2012's ground-truth masks; the folder a bare-id list line's mask is looked for in by default.</summary>
    public const string MaskFolder = "SegmentationClass";

    /// <summary>SBD's augmented masks (10,582 train_aug images), named by the second path of a train_aug.txt line.</summary>
    public const string AugmentedMaskFolder = "SegmentationClassAug";

    /// <summary>The folder of named splits, relative to the root.</summary>
    public static string SplitFolder { get; } = Path.Combine("ImageSets", "Segmentation");

    /// <summary>What a dataset root holds, for the help text of every --data option.</summary>
    public const string RootHelp = "VOC-layout dataset root (JPEGImages, Annotations, SegmentationClass, ImageSets/Segmentation; classes.txt optional, VOC 2012's classes without it)";

    /// <summary>What a split argument may be, for the help text of every --split option.</summary>
    public const string SplitHelp = "a list name under ImageSets/Segmentation (train, val, trainval) or a list file's path "
        + "(a value with '/' or '\\', ending in .txt, or naming an existing file), whose lines are ids or SBD's '/JPEGImages/<id>.jpg /SegmentationClassAug/<id>.png' pairs";

    public static string ImagePath(string root, string id) => Path.Combine(root, ImageFolder, id + ".jpg");

    public static string AnnotationPath(string root, string id) => Path.Combine(root, AnnotationFolder, id + ".xml");

    public static string MaskPath(string root, string id, string maskFolder = MaskFolder) => Path.Combine(root, maskFolder, id + ".png");

    /// <summary>
    /// Whether a split argument is a list file's path rather than a name: it names an existing file, contains '/' or
    /// '\', or ends in .txt. Anything else is a name under <see cref="SplitFolder"/>.
    /// </summary>
    public static bool IsListPath(string split)
    {
        ArgumentNullException.ThrowIfNull(split);
        return File.Exists(split) || split.IndexOfAny(['/', '\\']) >= 0 || split.EndsWith(".txt", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The list file a split argument names: the path itself (made absolute), or <c>root/ImageSets/Segmentation/&lt;split&gt;.txt</c>.</summary>
    /// <exception cref="ArgumentException">The split is empty.</exception>
    public static string SplitListPath(string root, string split)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (string.IsNullOrWhiteSpace(split))
            throw new ArgumentException($"a split is {SplitHelp}; got an empty value", nameof(split));
        return IsListPath(split) ? Path.GetFullPath(split) : Path.Combine(root, SplitFolder, split.Trim() + ".txt");
    }

    /// <summary>A split's short name for reports: the name itself, or the list file's name without .txt ("train_aug").</summary>
    public static string SplitName(string split) => IsListPath(split) ? Path.GetFileNameWithoutExtension(split) : split.Trim();

    /// <summary>
    /// The dataset root of a list file in its <see cref="SplitFolder"/> (root/ImageSets/Segmentation/name.txt), or null
    /// for a list elsewhere (SBD's train_aug.txt) or a root that does not exist.
    /// </summary>
    public static string? RootOfSplitList(string listPath)
    {
        ArgumentNullException.ThrowIfNull(listPath);
        DirectoryInfo? segmentation = new FileInfo(listPath).Directory, imageSets = segmentation?.Parent, root = imageSets?.Parent;
        bool inSplitFolder = segmentation?.Name == "Segmentation" && imageSets?.Name == "ImageSets";
        return inSplitFolder && root is { Exists: true } ? root.FullName : null;
    }

    /// <summary>The list file of <paramref name="split"/>, checked to exist, in a dataset root checked to exist.</summary>
    /// <exception cref="DatasetException">The root or the list file does not exist (<see cref="DatasetProblemKind.MissingFile"/>).</exception>
    internal static string RequireSplitList(string root, string split)
    {
        RequireRoot(root);
        string list = SplitListPath(root, split);
        if (File.Exists(list)) return list;
        string reason = IsListPath(split)
            ? "The split's list file does not exist."
            : $"The split list does not exist: the split '{split.Trim()}' is a name, looked up as {SplitFolder}/{split.Trim()}.txt of the dataset "
                + "(give a path, e.g. one with '/' or ending in .txt, for a list file elsewhere).";
        throw new DatasetException(new DatasetProblem(DatasetProblemKind.MissingFile, list, reason));
    }

    /// <exception cref="DatasetException">The root folder does not exist.</exception>
    internal static void RequireRoot(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!Directory.Exists(root))
            throw new DatasetException(new DatasetProblem(DatasetProblemKind.MissingFile, root, "The dataset root folder does not exist."));
    }
}
