namespace WsssOnnx.Datasets;

/// <summary>
/// The classes of a VOC-layout dataset. Label maps hold 0 for background, k for foreground class k (1 ≤ k ≤ C) and
/// 255 for "ignore"; classifier channels and multi-hot targets hold foreground class k at index k − 1.
/// </summary>
public sealed class VocClasses
{
    /// <summary>The optional class list at a dataset root: one name per line, background first.</summary>
    public const string FileName = "classes.txt";

    /// <summary>The label-map value of pixels no class is claimed for (VOC's object boundaries and "difficult" regions).</summary>
    public const byte IgnoreLabel = 255;

    /// <summary>Background plus at most 254 foreground classes, so every label fits a byte below <see cref="IgnoreLabel"/>.</summary>
    public const int MaxForeground = IgnoreLabel - 1;

    private readonly Dictionary<string, int> foregroundIndex;

    private VocClasses(string background, string[] foreground)
    {
        Background = background;
        Foreground = foreground;
        All = [background, .. foreground];
        foregroundIndex = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < foreground.Length; i++)
            foregroundIndex.Add(foreground[i], i);
    }

    /// <summary>
    /// PASCAL VOC 2012: "background" (label 0), then its 20 object classes in the devkit's order (labels 1 to 20); the
    /// classes of a dataset without classes.txt, as real VOC 2012 is.
    /// </summary>
    public static VocClasses Voc2012 { get; } = new("background",
    [
        "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ]);

    /// <summary>The background's name (index 0 of a label map).</summary>
    public string Background { get; }

    /// <summary>The C foreground names; index i is classifier channel i and label value i + 1.</summary>
    public IReadOnlyList<string> Foreground { get; }

    /// <summary>Background then the foreground names: index = label value.</summary>
    public IReadOnlyList<string> All { get; }

    /// <summary>C, the number of foreground classes.</summary>
    public int Count => Foreground.Count;

    /// <summary>
    /// A class list from names, background first. Names are trimmed, must be non-empty, free of line breaks and
    /// distinct ignoring case (annotations are matched ignoring case).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two names, an empty or repeated name, or more than 254 foreground classes.</exception>
    public static VocClasses Create(IEnumerable<string> backgroundThenForeground)
    {
        ArgumentNullException.ThrowIfNull(backgroundThenForeground);
        string? problem = Check([.. backgroundThenForeground.Select(n => n?.Trim() ?? "")], out string[] names);
        if (problem is not null) throw new ArgumentException(problem, nameof(backgroundThenForeground));
        return new VocClasses(names[0], names[1..]);
    }

    /// <summary>Reads a class list file: one name per line, background first; blank lines are skipped.</summary>
    /// <exception cref="DatasetException">The file is missing, unreadable, or not a valid class list (<see cref="DatasetProblemKind.BadClassList"/>).</exception>
    public static VocClasses Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string[] lines = DatasetFiles.ReadLines(path, "class list");
        string? problem = Check([.. lines.Select(l => l.Trim()).Where(l => l.Length > 0)], out string[] names);
        if (problem is not null)
            throw new DatasetException(new DatasetProblem(DatasetProblemKind.BadClassList, path, problem));
        return new VocClasses(names[0], names[1..]);
    }

    /// <summary>The dataset root's classes.txt when there is one, else <see cref="Voc2012"/>.</summary>
    public static VocClasses ForRoot(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        string path = System.IO.Path.Combine(root, FileName);
        return File.Exists(path) ? Load(path) : Voc2012;
    }

    /// <summary>The foreground index (channel) of a class name, ignoring case and surrounding space.</summary>
    public bool TryGetForegroundIndex(string name, out int index) => foregroundIndex.TryGetValue(name.Trim(), out index);

    /// <summary>Writes the list in the format <see cref="Load"/> reads.</summary>
    public void Save(string path) => File.WriteAllText(path, string.Join('\n', All) + "\n");

    public override string ToString() => $"{Count} classes ({string.Join(", ", Foreground)})";

    private static string? Check(string[] candidates, out string[] names)
    {
        names = candidates;
        if (names.Length < 2)
            return $"A class list needs the background and at least one foreground class, one name per line; it has {names.Length} name(s).";
        if (names.Length - 1 > MaxForeground)
            return $"A class list holds at most {MaxForeground} foreground classes so labels fit a byte below {IgnoreLabel}; it has {names.Length - 1}.";
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < names.Length; i++)
        {
            if (names[i].Length == 0)
                return $"Class {i} has an empty name.";
            if (names[i].AsSpan().IndexOfAny('\r', '\n') >= 0)
                return $"Class {i} has a line break in its name.";
            if (!seen.Add(names[i]))
                return $"The name '{names[i]}' appears more than once (names are compared ignoring case).";
        }
        return null;
    }
}
