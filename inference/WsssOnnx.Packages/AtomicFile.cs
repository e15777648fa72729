namespace WsssOnnx.Packages;

/// <summary>Writes a file so that a reader never sees it half-written: the content goes to &lt;path&gt;.partial, then a rename.</summary>
public static class AtomicFile
{
    public const string PartialSuffix = ".partial";

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    public static void Write(string path, Action<Stream> write)
    {
        string partial = path + PartialSuffix;
        using (var stream = File.Create(partial)) write(stream);
        File.Move(partial, path, overwrite: true);
    }
}
