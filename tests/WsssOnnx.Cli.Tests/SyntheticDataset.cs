namespace WsssOnnx.Cli.Tests;

/// <summary>A tiny VOC-layout dataset made by `wsss-train make-dataset` (6 train, 4 val, 96x96) in a temp folder, shared by one test class.</summary>
public sealed class SyntheticDataset : IDisposable
{
    public SyntheticDataset()
    {
        Root = Directory.CreateTempSubdirectory("wsss-cli-data-").FullName;
        var (code, stdout, stderr) = CliProcess.RunTrainer("make-dataset", "--out", Root, "--train", "6", "--val", "4", "--size", "96", "--overwrite");
        if (code != 0) throw new InvalidOperationException($"make-dataset failed ({code}): {stdout}{stderr}");
    }

    public string Root { get; }

    /// <summary>The newest bundled package, models/default/&lt;version&gt;.</summary>
    public static string Package { get; } = BundledPackageTests.NewestDefaultPackage();

    public IReadOnlyList<string> Ids(string split) =>
        [.. File.ReadAllLines(Path.Combine(Root, "ImageSets", "Segmentation", split + ".txt")).Where(l => l.Trim().Length > 0)];

    /// <summary>The object names of one image's annotation.</summary>
    public IReadOnlyList<string> Classes(string id) =>
        [.. System.Xml.Linq.XDocument.Load(Path.Combine(Root, "Annotations", id + ".xml")).Descendants("name").Select(n => n.Value).Distinct()];

    /// <summary>Copies the whole dataset into <paramref name="to"/>, for tests that damage their copy.</summary>
    public void CopyTo(string to)
    {
        foreach (string dir in Directory.GetDirectories(Root, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(Root, dir)));
        foreach (string file in Directory.GetFiles(Root, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(Root, file)));
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
