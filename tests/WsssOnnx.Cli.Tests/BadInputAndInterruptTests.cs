using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace WsssOnnx.Cli.Tests;

/// <summary>Over-size and empty images in `wsss attribute` (relabel's are in RelabelAndEvalCommandTests), and SIGINT in the middle of a relabel run.</summary>
public sealed class BadInputAndInterruptTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>
{

    // AdvCamOptions.MaxSide's default, the long side the CLI accepts.
    private const int MaxSide = 1024;

    [Theory]
    [InlineData("huge.png", "its long side must be at most 1024 pixels")]
    [InlineData("empty.jpg", "empty.jpg")]
    public void Attribute_rejects_an_over_size_or_empty_image_in_one_sentence(string name, string expected)
    {
        using var outputFolder = new TempFolder("wsss-cli-");
        string output = outputFolder.Path;
        string image = Path.Combine(output, name);
        File.WriteAllBytes(image, name == "huge.png" ? TestPng.Rgb(MaxSide + 1, 4) : []);
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--package", SyntheticDataset.Package,
            "--image", image, "--classes", "disc", "--method", "cam", "--out", output);
        Assert.Equal(1, code);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.Equal([name], Directory.GetFiles(output).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Sigint_stops_relabel_with_130_leaving_only_complete_files_and_a_rerun_finishes()
    {
        using var outputFolder = new TempFolder("wsss-cli-");
        string output = outputFolder.Path;
        // AdvCAM at T = 8, one image at a time: about a second an image here, so the run is mid-way when the signal comes.
        string[] args = ["relabel", "--package", SyntheticDataset.Package, "--data", data.Root, "--split", "train", "--method", "advcam",
            "--steps", "8", "--parallel", "1", "--out", output];
        var ids = data.Ids("train");
        string stdout, stderr;
        using (var process = CliProcess.StartWithSigint(args))
        {
            var stdoutTask = process.StandardOutput.ReadToEndAsync();
            var stderrTask = process.StandardError.ReadToEndAsync();
            var wait = Stopwatch.StartNew();
            while (Directory.GetFiles(output, "*.png").Length == 0 && !process.HasExited && wait.Elapsed < TimeSpan.FromMinutes(1)) await Task.Delay(20);
            // (Not Assert.False with the output in its message: that message would wait for the process to end.)
            if (process.HasExited) Assert.Fail($"relabel ended before the first label map appeared: {await stdoutTask}{await stderrTask}");
            Assert.True(CliProcess.Kill(process.Id, CliProcess.Sigint) == 0, $"kill({process.Id}, SIGINT) failed: errno {Marshal.GetLastPInvokeError()}");
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await process.WaitForExitAsync(limit.Token);
            (stdout, stderr) = (await stdoutTask, await stderrTask);
            Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}: {stdout}{stderr}");
        }
        Assert.Contains("interrupted", stdout);
        Assert.Contains("run the same command again", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);

        var files = Directory.GetFiles(output);
        Assert.All(files, f => Assert.EndsWith(".png", f));
        Assert.All(files, f => Assert.True(TestPng.IsComplete(File.ReadAllBytes(f)), $"{f} is not a complete PNG"));
        int written = int.Parse(Regex.Match(stdout, @"(\d+) written").Groups[1].Value);
        Assert.Equal(files.Length, written);
        Assert.InRange(written, 1, ids.Count - 1);

        var (code, rerunOut, rerunErr) = CliProcess.Run(CliProcess.BuildDirectory, args);
        Assert.True(code == 0, $"exit {code}: {rerunOut}{rerunErr}");
        Assert.Contains($"{ids.Count - written} written, {written} already done", rerunOut);
        Assert.Equal(ids.Select(id => id + ".png").Order(), Directory.GetFiles(output).Select(Path.GetFileName).Order());
    }
}
