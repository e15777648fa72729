using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace WsssOnnx.Cli.Tests;

/// <summary>
/// The README's "A first request" block, run line by line as written through bash from the repository root. Only two
/// things are changed, so that runs in parallel cannot collide: the output folder /tmp/wsss-quickstart becomes a fresh
/// temporary folder and port 50051 a free one.
/// </summary>
public sealed partial class ReadmeQuickStartTests
{
    private const string Marker = "<!-- quick-start:";
    private const string OutputFolder = "/tmp/wsss-quickstart";

    [Fact]
    public async Task The_quick_start_runs_as_written_and_serves_what_it_computes_locally()
    {
        var lines = QuickStartLines();
        Assert.Equal(4, lines.Count);
        Assert.EndsWith("&", lines[2]);

        string output = Path.Combine(Path.GetTempPath(), "wsss-readme-" + Guid.NewGuid().ToString("N"));
        int port = CliProcess.FreeTcpPort();
        string Adapt(string line) => line.Replace(OutputFolder, output).Replace("50051", port.ToString());
        Process? server = null;
        try
        {
            var local = Bash(Adapt(lines[0]));
            Assert.True(local.ExitCode == 0, $"{lines[0]}\n{local.Stdout}\n{local.Stderr}");
            var attribute = Bash(Adapt(lines[1]));
            Assert.True(attribute.ExitCode == 0, $"{lines[1]}\n{attribute.Stdout}\n{attribute.Stderr}");

            server = StartBash(Adapt(lines[2]).TrimEnd('&', ' '));
            var serverLog = Task.WhenAll(server.StandardOutput.ReadToEndAsync(), server.StandardError.ReadToEndAsync());
            var served = Bash(Adapt(lines[3]));
            if (served.ExitCode != 0)
            {
                string serverState = server.HasExited ? string.Concat(await serverLog) : "running";
                Assert.Fail($"{lines[3]}\n{served.Stdout}\n{served.Stderr}\nserver: {serverState}");
            }

            // What the README says the commands write: the segmenter's map, each class's map and overlay, three label maps.
            string[] written = ["shapes_segment.png", "shapes_hexagon_map.png", "shapes_hexagon_heatmap.png", "shapes_star_map.png",
                "shapes_star_heatmap.png", "shapes_seeds.png", "shapes_crf.png", "shapes_rw.png"];
            foreach (string name in written) AssertLabelPng(Path.Combine(output, name), 224, 224);
            AssertLabelPng(Path.Combine(output, "served", "shapes_segment.png"), 224, 224);

            // The sample holds a hexagon and a star, and the bundled segmenter finds them; the service computes the same.
            var shares = Shares(local.Stdout);
            Assert.Equal(["hexagon", "star"], shares.Where(s => s.Key != "background").OrderByDescending(s => s.Value).Take(2).Select(s => s.Key).Order());
            Assert.All(shares.Where(s => s.Key is not ("background" or "hexagon" or "star")), s => Assert.True(s.Value < 1.0, $"{s.Key} {s.Value} %"));
            Assert.Equal(shares, Shares(served.Stdout));
        }
        finally
        {
            if (server is { HasExited: false })
            {
                CliProcess.Kill(server.Id, 15);
                if (!server.WaitForExit(TimeSpan.FromSeconds(30))) server.Kill(entireProcessTree: true);
            }
            server?.Dispose();
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>The shell lines of the fenced block that follows the quick-start marker.</summary>
    private static List<string> QuickStartLines()
    {
        var readme = File.ReadAllLines(Path.Combine(CliProcess.RepoRoot, "README.md"));
        int marker = Array.FindIndex(readme, l => l.StartsWith(Marker, StringComparison.Ordinal));
        Assert.True(marker >= 0, "README.md has no quick-start marker");
        Assert.Equal("```sh", readme[marker + 1]);
        return [.. readme.Skip(marker + 2).TakeWhile(l => l != "```")];
    }

    /// <summary>"shapes.jpg: background 74.7%, hexagon 14.4%, star 10.9% (default/4) -> ..." as class -> percent.</summary>
    private static Dictionary<string, double> Shares(string stdout)
    {
        var line = stdout.Split('\n').Single(l => l.StartsWith("shapes.jpg:", StringComparison.Ordinal));
        return ShareRegex().Matches(line).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"([a-z]+) ([0-9.]+)%")]
    private static partial Regex ShareRegex();

    private static void AssertLabelPng(string path, int width, int height)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(TestPng.IsComplete(bytes), $"{path} is not a complete PNG");
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));   // IHDR width
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));  // IHDR height
    }

    private static ProcessStartInfo BashStart(string line)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = CliProcess.RepoRoot };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec " + line);
        return start;
    }

    private static Process StartBash(string line) => Process.Start(BashStart(line))!;

    private static (int ExitCode, string Stdout, string Stderr) Bash(string line)
    {
        using var process = StartBash(line);
        return CliProcess.WaitForExit(process, line, TimeSpan.FromMinutes(3));
    }
}
