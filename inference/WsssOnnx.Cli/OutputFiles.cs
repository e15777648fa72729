namespace WsssOnnx.Cli;

/// <summary>Writes an output so that a reader never sees a partial file: bytes go to &lt;path&gt;.partial, then a rename.</summary>
internal static class OutputFiles
{
    public const string PartialSuffix = ".partial";

    public static void WriteAtomically(string path, byte[] bytes)
    {
        string partial = path + PartialSuffix;
        File.WriteAllBytes(partial, bytes);
        File.Move(partial, path, overwrite: true);
    }
}
