using System.Security.Cryptography;

namespace WsssOnnx.Packages;

/// <summary>A model package on disk: its folder and manifest, with every listed file's sha256 checked.</summary>
public sealed class ModelPackage
{
    private ModelPackage(string directory, ModelManifest manifest)
    {
        Directory = directory;
        Manifest = manifest;
    }

    public string Directory { get; }

    public ModelManifest Manifest { get; }

    /// <summary>The full path of the file with <paramref name="role"/> (e.g. "classifier").</summary>
    public string PathOf(string role) =>
        Manifest.Files.TryGetValue(role, out var file)
            ? System.IO.Path.Combine(Directory, file.Path)
            : throw new KeyNotFoundException($"package {Manifest.Name}/{Manifest.Version} has no {role} file (it has: {string.Join(", ", Manifest.Files.Keys)})");

    public bool Has(string role) => Manifest.Files.ContainsKey(role);

    /// <summary>Reads and checks a package folder; <see cref="InvalidDataException"/> says what is wrong.</summary>
    public static ModelPackage Open(string directory, bool verifyHashes = true)
    {
        string manifestPath = System.IO.Path.Combine(directory, ModelManifest.FileName);
        if (!File.Exists(manifestPath)) throw new InvalidDataException($"{directory} is not a model package: {ModelManifest.FileName} is missing");
        ModelManifest manifest;
        try
        {
            manifest = ModelManifest.Parse(File.ReadAllText(manifestPath), manifestPath);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{manifestPath} is not a valid manifest: {e.Message}", e);
        }
        return Checked(directory, manifest, manifestPath, verifyHashes);
    }

    /// <summary>A package folder checked against a manifest not written yet (the exporter measures a staged package before sealing it).</summary>
    public static ModelPackage Open(string directory, ModelManifest manifest) =>
        Checked(directory, manifest, System.IO.Path.Combine(directory, ModelManifest.FileName) + " (unwritten)", verifyHashes: true);

    private static ModelPackage Checked(string directory, ModelManifest manifest, string manifestPath, bool verifyHashes)
    {
        if (manifest.Format != ModelManifest.CurrentFormat)
            throw new InvalidDataException($"{manifestPath} has format {manifest.Format}; this build reads format {ModelManifest.CurrentFormat}");
        if (manifest.Classes.Count < 2) throw new InvalidDataException($"{manifestPath} lists {manifest.Classes.Count} classes; a package needs background and at least one class");
        foreach (var (role, file) in manifest.Files)
        {
            string path = System.IO.Path.Combine(directory, file.Path);
            if (!File.Exists(path)) throw new InvalidDataException($"{manifestPath}: the {role} file {file.Path} is missing");
            if (verifyHashes && Sha256(path) != file.Sha256)
                throw new InvalidDataException($"{manifestPath}: {file.Path} does not match its sha256 (the package was modified or is incomplete)");
        }
        return new ModelPackage(directory, manifest);
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
