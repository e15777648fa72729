using System.Xml;
using System.Xml.Linq;

namespace WsssOnnx.Datasets;

/// <summary>
/// Image-level labels from a VOC annotation: the distinct names of the &lt;object&gt; children of &lt;annotation&gt;.
/// Part names (&lt;object&gt;&lt;part&gt;&lt;name&gt;head&lt;/name&gt;, VOC's person layout) are not objects and are not read.
/// </summary>
public static class VocAnnotation
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    /// <summary>
    /// The distinct object names of an annotation in file order (compared ignoring case, trimmed), for a consumer with
    /// its own class list (a model package's); difficult objects count unless <paramref name="includeDifficult"/> is false.
    /// An annotation without objects gives an empty list.
    /// </summary>
    /// <exception cref="DatasetException">The annotation is missing, unreadable, not XML, not a VOC annotation, or has an unnamed object.</exception>
    public static IReadOnlyList<string> ReadObjectNames(string path, bool includeDifficult = true, string? sampleId = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        (List<(string Name, bool Difficult)>? objects, DatasetProblem? problem, Exception? cause) = ReadObjects(path, sampleId);
        if (problem is not null) throw new DatasetException(problem, cause);
        return [.. objects!.Where(o => includeDifficult || !o.Difficult).Select(o => o.Name).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>The ascending distinct foreground indices, or the problem that refuses the file.</summary>
    internal static (int[]? Classes, DatasetProblem? Problem, Exception? Cause) Read(string path, VocClasses classes, bool includeDifficult, string sampleId)
    {
        (List<(string Name, bool Difficult)>? objects, DatasetProblem? problem, Exception? cause) = ReadObjects(path, sampleId);
        if (problem is not null) return (null, problem, cause);

        var present = new SortedSet<int>();
        for (int i = 0; i < objects!.Count; i++)
        {
            (string name, bool difficult) = objects[i];
            if (!classes.TryGetForegroundIndex(name, out int index))
                return (null, new DatasetProblem(DatasetProblemKind.UnknownClass, path,
                    $"Object {i + 1} is named '{name}', which is not one of the {classes.Count} classes ({string.Join(", ", classes.Foreground)}).", sampleId), null);
            if (includeDifficult || !difficult) present.Add(index);
        }
        return ([.. present], null, null);
    }

    /// <summary>Every &lt;object&gt;'s trimmed name and &lt;difficult&gt; flag in file order, or the problem that refuses the file.</summary>
    private static (List<(string Name, bool Difficult)>? Objects, DatasetProblem? Problem, Exception? Cause) ReadObjects(string path, string? sampleId)
    {
        XDocument document;
        try
        {
            using FileStream stream = File.OpenRead(path);
            using var reader = XmlReader.Create(stream, Settings);
            document = XDocument.Load(reader);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return (null, DatasetFiles.Missing(path, "annotation", sampleId), e);
        }
        catch (XmlException e)
        {
            return (null, Malformed($"The annotation cannot be parsed as XML ({e.Message.TrimEnd('.')})."), e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, DatasetFiles.Unreadable(path, "annotation", e, sampleId), e);
        }

        XElement root = document.Root!;
        if (root.Name.LocalName != "annotation")
            return (null, Malformed($"The root element is <{root.Name.LocalName}>; a VOC annotation's is <annotation>."), null);

        var objects = new List<(string, bool)>();
        foreach (XElement obj in root.Elements("object"))
        {
            string name = ((string?)obj.Element("name"))?.Trim() ?? "";
            if (name.Length == 0)
                return (null, Malformed($"Object {objects.Count + 1} has no <name>."), null);
            objects.Add((name, ((string?)obj.Element("difficult"))?.Trim() == "1"));
        }
        return (objects, null, null);

        DatasetProblem Malformed(string reason) => new(DatasetProblemKind.MalformedAnnotation, path, reason, sampleId);
    }
}
