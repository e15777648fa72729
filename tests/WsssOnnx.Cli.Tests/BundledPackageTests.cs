namespace WsssOnnx.Cli.Tests;

/// <summary>The package the README's serve command uses: present, intact, and loadable.</summary>
public sealed class BundledPackageTests
{
    /// <summary>models/default/&lt;newest version&gt;, as scripts/serve picks it: numeric versions in numeric order (2 before 10).</summary>
    internal static string NewestDefaultPackage() =>
        Directory.GetDirectories(Path.Combine(CliProcess.RepoRoot, "models", "default"))
            .Where(d => !d.EndsWith(".partial", StringComparison.Ordinal))
            .OrderBy(d => int.TryParse(Path.GetFileName(d), out int v) ? v : -1)
            .ThenBy(d => d, StringComparer.Ordinal)
            .Last();

    [Fact]
    public void The_bundled_package_verifies_and_all_its_networks_load()
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "info", "--package", NewestDefaultPackage());
        Assert.True(code == 0, stderr);
        Assert.Contains("classifier:", stdout);
        Assert.Contains("climber:", stdout);
        Assert.Contains("segmenter:", stdout);
        Assert.Contains("val_map", stdout);
    }

    [Fact]
    public void A_modified_package_is_refused_with_the_reason()
    {
        using var copyFolder = new TempFolder("wsss-pkg-");
        string copy = copyFolder.Path;
        foreach (var file in Directory.GetFiles(NewestDefaultPackage()))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        using (var stream = File.OpenWrite(Path.Combine(copy, "climber.onnx")))
        {
            stream.Seek(100, SeekOrigin.Begin);
            stream.WriteByte(0x42);
        }
        var (code, _, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "info", "--package", copy);
        Assert.Equal(1, code);
        Assert.Contains("climber.onnx does not match its sha256", stderr);
    }
}
