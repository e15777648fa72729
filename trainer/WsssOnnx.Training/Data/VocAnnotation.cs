using System.Xml;
using System.Xml.Linq;

namespace WsssOnnx.Training.Data;

/// <summary>
/// Image-level labels from a VOC annotation: the distinct names of the &lt;object&gt; children of &lt;annotation&gt;.
/// Part names (&lt;object&gt;&lt;part&gt;&lt;name&gt;head&lt;/name&gt;, VOC's person layout) are not objects and are not read.
/// </summary>
internal static class VocAnnotation
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    /// <summary>The ascending distinct foreground indices, or the problem that refuses the file.</summary>
    public static (int[]? Classes, DatasetProblem? Problem, Exception? Cause) Read(string path, VocClasses classes, bool includeDifficult, string sampleId)
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

        var present = new SortedSet<int>();
        int number = 0;
        foreach (XElement obj in root.Elements("object"))
        {
            number++;
            string name = ((string?)obj.Element("name"))?.Trim() ?? "";
            if (name.Length == 0)
                return (null, Malformed($"Object {number} has no <name>."), null);
            if (!classes.TryGetForegroundIndex(name, out int index))
                return (null, new DatasetProblem(DatasetProblemKind.UnknownClass, path,
                    $"Object {number} is named '{name}', which is not one of the {classes.Count} classes ({string.Join(", ", classes.Foreground)}).", sampleId), null);
            bool difficult = ((string?)obj.Element("difficult"))?.Trim() == "1";
            if (includeDifficult || !difficult) present.Add(index);
        }
        return ([.. present], null, null);

        DatasetProblem Malformed(string reason) => new(DatasetProblemKind.MalformedAnnotation, path, reason, sampleId);
    }
}
