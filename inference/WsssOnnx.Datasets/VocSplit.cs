namespace WsssOnnx.Datasets;

/// <summary>
/// The samples a split lists, without reading their annotations or checking their files: what a consumer that needs
/// only ids and paths (evaluation, labelling with a model package's classes) opens. <see cref="VocDataset"/> is the
/// same list with image-level labels read and checked.
/// </summary>
public sealed class VocSplit
{
    private readonly Dictionary<string, VocListEntry> entryOf;

    private VocSplit(string root, string name, string listPath, VocListEntry[] entries)
    {
        Root = root;
        Name = name;
        ListPath = listPath;
        Entries = entries;
        Ids = [.. entries.Select(e => e.Id)];
        entryOf = entries.ToDictionary(e => e.Id, StringComparer.Ordinal);
    }

    public string Root { get; }

    /// <summary>The split's short name: "val", or a list file's name without .txt ("train_aug").</summary>
    public string Name { get; }

    /// <summary>The list file the entries came from.</summary>
    public string ListPath { get; }

    /// <summary>The list's entries in file order, one per id.</summary>
    public IReadOnlyList<VocListEntry> Entries { get; }

    /// <summary>The ids in list order.</summary>
    public IReadOnlyList<string> Ids { get; }

    /// <summary>
    /// Opens a split of the dataset at <paramref name="root"/>: a name under ImageSets/Segmentation or a list file's path
    /// (<see cref="VocLayout.IsListPath"/>). Lines are ids or SBD's "image mask" path pairs; blank lines are skipped.
    /// </summary>
    /// <exception cref="ArgumentException">The split is empty.</exception>
    /// <exception cref="DatasetException">
    /// The root or the list is missing or unreadable, the list names no sample, or a line is malformed or repeats an id
    /// (the message names the file and the line).
    /// </exception>
    public static VocSplit Open(string root, string split)
    {
        string listPath = VocLayout.RequireSplitList(root, split);
        var entries = new List<VocListEntry>();
        foreach ((VocListEntry? entry, DatasetProblem? problem) in VocListFile.Read(root, listPath))
            entries.Add(entry ?? throw new DatasetException(problem!));
        return new VocSplit(root, VocLayout.SplitName(split), listPath, [.. entries]);
    }

    /// <summary>The entry of an id the split lists.</summary>
    /// <exception cref="KeyNotFoundException">The split does not list <paramref name="id"/>.</exception>
    public VocListEntry Entry(string id) =>
        entryOf.TryGetValue(id, out VocListEntry? entry) ? entry : throw new KeyNotFoundException($"the split {Name} does not list the id '{id}'");

    public string ImagePath(string id) => Entry(id).ImagePath;

    public string AnnotationPath(string id) => VocLayout.AnnotationPath(Root, Entry(id).Id);

    /// <summary>The ground-truth mask: the one a pair line names, else <c>&lt;maskFolder&gt;/&lt;id&gt;.png</c> (whether or not it exists).</summary>
    public string MaskPath(string id, string maskFolder = VocLayout.MaskFolder) => MaskPath(Root, Entry(id), maskFolder);

    /// <summary>The image's object names as <see cref="VocAnnotation.ReadObjectNames"/> reads them (difficult objects included).</summary>
    /// <exception cref="DatasetException">The annotation cannot be used.</exception>
    public IReadOnlyList<string> ObjectNames(string id) => VocAnnotation.ReadObjectNames(AnnotationPath(id), sampleId: id);

    /// <summary>The classes of this dataset: its classes.txt, or VOC 2012's when it has none.</summary>
    /// <exception cref="DatasetException">classes.txt exists but is not a valid class list.</exception>
    public VocClasses Classes() => VocClasses.ForRoot(Root);

    public override string ToString() => $"{ListPath}: {Ids.Count} samples";

    internal static string MaskPath(string root, VocListEntry entry, string maskFolder) => entry.MaskPath ?? VocLayout.MaskPath(root, entry.Id, maskFolder);
}
