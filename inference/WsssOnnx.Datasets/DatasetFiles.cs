namespace WsssOnnx.Datasets;

/// <summary>File reads that report failure as a <see cref="DatasetException"/> naming the file.</summary>
internal static class DatasetFiles
{
    public static byte[] ReadBytes(string path, string what, string? sampleId = null)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetException(Missing(path, what, sampleId), e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException(Unreadable(path, what, e, sampleId), e);
        }
    }

    public static string[] ReadLines(string path, string what)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetException(Missing(path, what, null), e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException(Unreadable(path, what, e, null), e);
        }
    }

    public static DatasetProblem Missing(string path, string what, string? sampleId) =>
        new(DatasetProblemKind.MissingFile, path, $"The {what} does not exist.", sampleId);

    public static DatasetProblem Unreadable(string path, string what, Exception e, string? sampleId) =>
        new(DatasetProblemKind.UnreadableFile, path, $"The {what} cannot be read ({e.Message.TrimEnd('.')}).", sampleId);
}
