namespace WsssOnnx.Cli.Tests;

/// <summary>A fresh folder under the system temp folder, removed with everything in it when disposed.</summary>
internal sealed class TempFolder(string prefix) : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public void Dispose()
    {
        // A child process killed mid-write may still hold a file for a moment; a leftover temp folder is not a failure.
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
