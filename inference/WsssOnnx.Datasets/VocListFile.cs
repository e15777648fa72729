namespace WsssOnnx.Datasets;

/// <summary>
/// Reads a sample list. A line is either an id ("2007_000032", VOC's ImageSets and IRN's train_aug.txt), an image path,
/// or an "image mask" pair of paths relative to the root ("/JPEGImages/x.jpg /SegmentationClassAug/x.png", the
/// DeepLab/SBD lists; the id is the first path's file name without extension). Blank lines are skipped; a line with
/// more than two fields, a path escaping the root, or a repeated id is refused with a problem naming the line.
/// </summary>
internal static class VocListFile
{
    /// <summary>The lines in order, each an entry or the problem that refuses it.</summary>
    /// <exception cref="DatasetException">The list is missing, unreadable or has no entries (no policy can skip a whole list).</exception>
    public static List<(VocListEntry? Entry, DatasetProblem? Problem)> Read(string root, string listPath)
    {
        string[] lines = DatasetFiles.ReadLines(listPath, "list file");
        var results = new List<(VocListEntry?, DatasetProblem?)>();
        var firstLineOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            int line = i + 1;
            string[] fields = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;

            DatasetProblem Bad(string reason) => new(DatasetProblemKind.MalformedList, listPath, $"Line {line} {reason}");
            if (fields.Length > 2)
            {
                results.Add((null, Bad($"has {fields.Length} fields; expected an id or an 'image mask' pair of paths.")));
                continue;
            }

            string? imagePath, maskPath = null, id;
            if (fields.Length == 1 && fields[0].IndexOfAny(['/', '\\']) < 0)
            {
                id = fields[0];
                imagePath = VocLayout.ImagePath(root, id);
            }
            else
            {
                imagePath = UnderRoot(root, fields[0]);
                maskPath = fields.Length == 2 ? UnderRoot(root, fields[1]) : null;
                if (imagePath is null || (fields.Length == 2 && maskPath is null))
                {
                    results.Add((null, Bad("names a path outside the dataset root; paths must be relative to it, without '..'.")));
                    continue;
                }
                id = Path.GetFileNameWithoutExtension(imagePath);
            }

            if (id is "" or "." or "..")
            {
                results.Add((null, Bad($"has no usable sample id ('{fields[0]}').")));
                continue;
            }
            if (!firstLineOf.TryAdd(id, line))
            {
                results.Add((null, Bad($"repeats the id '{id}' first listed on line {firstLineOf[id]}.")));
                continue;
            }
            results.Add((new VocListEntry(line, id, imagePath, maskPath), null));
        }
        if (results.Count == 0)
            throw new DatasetException(new DatasetProblem(DatasetProblemKind.EmptyList, listPath, "The list file names no samples."));
        return results;
    }

    // "/JPEGImages/x.jpg" and "JPEGImages/x.jpg" both mean <root>/JPEGImages/x.jpg; null for anything escaping the root.
    private static string? UnderRoot(string root, string field)
    {
        string relative = field.TrimStart('/', '\\');
        string[] parts = relative.Split('/', '\\');
        if (relative.Length == 0 || Path.IsPathRooted(relative) || parts.Contains("..")) return null;
        return Path.Combine([root, .. parts.Where(p => p.Length > 0)]);
    }
}
