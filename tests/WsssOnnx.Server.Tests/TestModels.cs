using System.Text.Json.Nodes;
using System.Xml.Linq;
using WsssOnnx.Training.Data;
using WsssOnnx.Imaging;

namespace WsssOnnx.Server.Tests;

/// <summary>
/// A temporary models/ folder holding copies of the bundled package (the newest version under models/default) as
/// versions of their own: the manifest's name and version are rewritten, the ONNX files (and so their hashes) are not.
/// </summary>
public sealed class TestModels : IDisposable
{
    public TestModels(params string[] versions)
    {
        Root = Directory.CreateTempSubdirectory("wsss-models-").FullName;
        foreach (string version in versions) AddVersion("default", version);
    }

    public string Root { get; }

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The newest bundled version folder (models/default/&lt;n&gt;).</summary>
    public static string BundledPackage { get; } = Directory.GetDirectories(Path.Combine(RepoRoot, "models", "default"))
        .OrderBy(d => long.TryParse(Path.GetFileName(d), out long v) ? v : -1).Last();

    /// <summary>
    /// Copies the bundled package to &lt;root&gt;/&lt;name&gt;/&lt;version&gt;, manifest written last as the exporter does;
    /// <paramref name="changeManifest"/> may edit the manifest first (its defaults; the hashes are over the ONNX files).
    /// </summary>
    public string AddVersion(string name, string version, string? root = null, Action<JsonNode>? changeManifest = null)
    {
        string target = Path.Combine(root ?? Root, name, version);
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(BundledPackage).Where(f => Path.GetFileName(f) != "manifest.json"))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(BundledPackage, "manifest.json")))!;
        manifest["name"] = name;
        manifest["version"] = version;
        changeManifest?.Invoke(manifest);
        File.WriteAllText(Path.Combine(target, "manifest.json"), manifest.ToJsonString());
        return target;
    }

    /// <summary>A version whose segmenter.onnx does not match its manifest's sha256.</summary>
    public string AddDamagedVersion(string name, string version)
    {
        string target = AddVersion(name, version);
        using (var stream = File.OpenWrite(Path.Combine(target, "segmenter.onnx")))
        {
            stream.Seek(100, SeekOrigin.Begin);
            stream.WriteByte(0x5a);
        }
        return target;
    }

    public static IReadOnlyList<string> Classes { get; } =
        [.. JsonNode.Parse(File.ReadAllText(Path.Combine(BundledPackage, "manifest.json")))!["classes"]!.AsArray().Select(n => n!.GetValue<string>())];

    /// <summary>A small textured RGB test image as PNG.</summary>
    public static byte[] ImagePng(int width = 96, int height = 80, int seed = 1)
    {
        var image = new RgbImage(width, height);
        var random = new Random(seed);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = 3 * (y * width + x);
                bool inside = Math.Pow(x - width / 2.0, 2) + Math.Pow(y - height / 2.0, 2) < Math.Pow(Math.Min(width, height) / 3.0, 2);
                image.Pixels[i] = (byte)(inside ? 200 : 40 + random.Next(30));
                image.Pixels[i + 1] = (byte)(inside ? 60 + (x % 8) * 10 : 90 + random.Next(30));
                image.Pixels[i + 2] = (byte)(inside ? 50 : 140 + random.Next(30));
            }
        return PngEncoder.EncodeRgb(image);
    }

    /// <summary>Synthetic validation images (JPEG bytes) with their class names, made once by the trainer's generator.</summary>
    public static IReadOnlyList<(string Id, byte[] Jpeg, IReadOnlyList<string> Classes)> Samples => LazySamples.Value;

    private static readonly Lazy<IReadOnlyList<(string, byte[], IReadOnlyList<string>)>> LazySamples = new(() =>
    {
        string root = Directory.CreateTempSubdirectory("wsss-server-data-").FullName;
        try
        {
            SyntheticDatasetGenerator.Generate(root, new SyntheticDatasetOptions { TrainImages = 1, ValImages = 4, Classes = Classes.Count - 1, Width = 160, Height = 160 });
            return [.. File.ReadAllLines(Path.Combine(root, "ImageSets", "Segmentation", "val.txt")).Where(l => l.Length > 0).Select(id =>
                (id, File.ReadAllBytes(Path.Combine(root, "JPEGImages", id + ".jpg")),
                 (IReadOnlyList<string>)[.. XDocument.Load(Path.Combine(root, "Annotations", id + ".xml")).Descendants("name").Select(n => n.Value).Distinct()]))];
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    });

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WsssOnnx.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no WsssOnnx.sln above {AppContext.BaseDirectory}");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
