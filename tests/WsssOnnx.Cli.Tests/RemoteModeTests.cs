using System.Diagnostics;
using System.Text.RegularExpressions;

namespace WsssOnnx.Cli.Tests;

/// <summary>`wsss serve` as a process, on the bundled models (or --models in the extra arguments), for the remote modes of the CLI.</summary>
public sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _rest;

    public ServeProcess() : this([])
    {
    }

    public ServeProcess(params string[] extra) : this(new Dictionary<string, string>(), extra)
    {
    }

    public ServeProcess(IReadOnlyDictionary<string, string> environment, params string[] extra)
    {
        string[] metrics = extra.Contains("--metrics-port") ? [] : ["--metrics-port", "-1"];
        string[] models = extra.Contains("--models") ? [] : ["--models", Path.Combine(CliProcess.RepoRoot, "models")];
        _process = CliProcess.Start(environment, ["serve", .. models, "--port", "0", .. metrics, "--no-watch", .. extra]);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            string? line = _process.StandardOutput.ReadLine();
            if (line is null || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"wsss serve did not start: {_process.StandardError.ReadToEnd()}");
            var match = Regex.Match(line, @"listening on ([0-9.]+:[0-9]+)");
            if (match.Success)
            {
                Address = match.Groups[1].Value;
                ListeningLine = line;
                break;
            }
        }
        _rest = _process.StandardOutput.ReadToEndAsync();
    }

    /// <summary>host:port of the gRPC endpoint.</summary>
    public string Address { get; }

    /// <summary>The line that says where the service listens (gRPC and metrics).</summary>
    public string ListeningLine { get; } = "";

    /// <summary>The metrics endpoint's URL, when started with a metrics port.</summary>
    public string? MetricsUrl => Regex.Match(ListeningLine, @"metrics on (http://\S+/metrics)") is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>SIGKILL: the replica dies at once, with its calls and connections open.</summary>
    public void Crash()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGTERM, then the exit code and the log (console logs go to stdout).</summary>
    public (int ExitCode, string Log) Stop()
    {
        Assert.Equal(0, CliProcess.Kill(_process.Id, CliProcess.Sigterm));
        Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(30)), "wsss serve did not stop within 30 s of SIGTERM");
        return (_process.ExitCode, _rest.Result + _process.StandardError.ReadToEnd());
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}

/// <summary>relabel, attribute and segment with --server against a served bundled model; failover to a second address.</summary>
public sealed class RemoteModeTests(SyntheticDataset data) : IClassFixture<SyntheticDataset>, IDisposable
{
    private readonly ServeProcess _server = new();

    // A port nothing listens on: the client must skip it and finish on the live server.
    private const string DeadServer = "127.0.0.1:1";

    [Fact]
    public void Relabel_on_servers_writes_every_label_map_resumes_and_survives_a_dead_server()
    {
        using var outputFolder = new TempFolder("wsss-remote-");
        string output = outputFolder.Path;
        string[] args = ["relabel", "--server", $"{DeadServer},{_server.Address}", "--retries", "2", "--data", data.Root, "--split", "val",
            "--out", output, "--method", "cam", "--mode", "crf", "--window", "2"];
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, args);
        Assert.True(code == 0, stdout + stderr);
        var ids = data.Ids("val");
        Assert.All(ids, id => Assert.True(File.Exists(Path.Combine(output, id + ".png")), id));
        Assert.Contains($"{ids.Count} written", stdout);
        Assert.Matches(@"served by: default/\d+ \(" + ids.Count + @"\)", stdout);
        Assert.Contains("Unavailable", stdout); // the dead server's stream was retried, then given up

        File.Delete(Path.Combine(output, ids[0] + ".png"));
        (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, args);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains($"1 written, {ids.Count - 1} already done", stdout);

        // The remote labels are the local ones (same package, same method and CRF).
        string local = Directory.CreateTempSubdirectory("wsss-local-").FullName;
        (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", data.Root,
            "--split", "val", "--out", local, "--method", "cam", "--mode", "crf");
        Assert.True(code == 0, stdout + stderr);
        foreach (string id in ids)
            Assert.Equal(File.ReadAllBytes(Path.Combine(local, id + ".png")), File.ReadAllBytes(Path.Combine(output, id + ".png")));
        Directory.Delete(local, recursive: true);
    }

    [Fact]
    public void Relabel_reports_a_bad_image_and_an_unknown_class_per_image_and_writes_the_rest()
    {
        using var rootFolder = new TempFolder("wsss-remote-bad-");
        string root = rootFolder.Path;
        CopyDirectory(data.Root, root);
        var ids = data.Ids("val");
        File.WriteAllBytes(Path.Combine(root, "JPEGImages", ids[0] + ".jpg"), [0xFF, 0xD8, 0xFF, 0x00, 0x01]);
        string xml = Path.Combine(root, "Annotations", ids[1] + ".xml");
        File.WriteAllText(xml, Regex.Replace(File.ReadAllText(xml), "<name>[^<]*</name>", "<name>zebra</name>"));
        string output = Path.Combine(root, "labels");
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--server", _server.Address, "--data", root, "--split", "val",
            "--out", output, "--method", "cam", "--mode", "seeds");
        Assert.Equal(1, code);
        Assert.Contains($"{ids[0]}: InvalidArgument: image cannot be decoded", stderr);
        Assert.Contains($"{ids[1]}: InvalidArgument: classes: unknown class \"zebra\"", stderr);
        Assert.All(ids.Skip(2), id => Assert.True(File.Exists(Path.Combine(output, id + ".png")), id));
    }

    [Fact]
    public void An_image_naming_no_object_is_all_background_on_servers_as_it_is_locally()
    {
        using var rootFolder = new TempFolder("wsss-remote-empty-");
        string root = rootFolder.Path;
        CopyDirectory(data.Root, root);
        var ids = data.Ids("val");
        string xml = Path.Combine(root, "Annotations", ids[0] + ".xml");
        File.WriteAllText(xml, Regex.Replace(File.ReadAllText(xml), "<object>.*?</object>", "", RegexOptions.Singleline));
        string remote = Path.Combine(root, "remote"), local = Path.Combine(root, "local");
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--server", _server.Address, "--data", root, "--split", "val",
            "--out", remote, "--method", "cam", "--mode", "seeds");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains($"{ids.Count} written", stdout);
        (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "relabel", "--package", SyntheticDataset.Package, "--data", root,
            "--split", "val", "--out", local, "--method", "cam", "--mode", "seeds");
        Assert.True(code == 0, stdout + stderr);

        var (width, height, pixels) = TestPng.OneChannelPixels(File.ReadAllBytes(Path.Combine(remote, ids[0] + ".png")));
        Assert.True(width > 0 && height > 0 && pixels.All(p => p == 0), "all background");
        Assert.Equal(File.ReadAllBytes(Path.Combine(local, ids[0] + ".png")), File.ReadAllBytes(Path.Combine(remote, ids[0] + ".png")));
        // The others still come from the server, with foreground.
        Assert.Contains(ids.Skip(1), id => TestPng.OneChannelPixels(File.ReadAllBytes(Path.Combine(remote, id + ".png"))).Pixels.Any(p => p != 0));
    }

    [Fact]
    public void Scales_go_to_the_server_which_makes_the_maps_at_them_as_a_local_run_does()
    {
        using var outputFolder = new TempFolder("wsss-remote-scales-");
        string id = data.Ids("val")[0];
        string image = Path.Combine(data.Root, "JPEGImages", id + ".jpg");
        string cls = data.Classes(id)[0];
        byte[] Map(string where, string[] source, string[] scales)
        {
            string output = Path.Combine(outputFolder.Path, where);
            var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, ["attribute", .. source, "--image", image, "--classes", cls, "--method", "cam",
                .. scales, "--out", output]);
            Assert.True(code == 0, stdout + stderr);
            // The reply echoes the scales the server used.
            Assert.Contains(scales.Length == 0 ? "scales 1,0.5,1.5,2," : "scales 1,", stdout);
            return TestPng.OneChannelPixels(File.ReadAllBytes(Path.Combine(output, $"{id}_{cls}_map.png"))).Pixels;
        }
        byte[] remote = Map("remote", ["--server", _server.Address], ["--scales", "1"]);
        byte[] local = Map("local", ["--package", SyntheticDataset.Package], ["--scales", "1"]);
        byte[] fourScales = Map("remote-default", ["--server", _server.Address], []);
        // 8-bit grey maps: the same computation on both sides, at most a rounding step apart; the four scales' map is another.
        Assert.True(remote.Zip(local).All(p => Math.Abs(p.First - p.Second) <= 1), "remote and local maps at scale 1 differ");
        Assert.True(remote.Zip(fourScales).Max(p => Math.Abs(p.First - p.Second)) > 5, "the server ignored --scales");

        var (refused, _, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--server", _server.Address, "--image", image, "--classes", cls,
            "--scales", "0", "--out", outputFolder.Path);
        Assert.Equal(2, refused);
        Assert.Contains("--scales: each scale must be in [0.125, 4]; got 0.", stderr);
    }

    [Fact]
    public void Attribute_and_segment_on_a_server_write_their_pictures_and_errors_are_one_sentence()
    {
        using var outputFolder = new TempFolder("wsss-remote-att-");
        string output = outputFolder.Path;
        string id = data.Ids("val")[0];
        string image = Path.Combine(data.Root, "JPEGImages", id + ".jpg");
        string cls = data.Classes(id)[0];
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--server", _server.Address, "--image", image, "--classes", cls,
            "--steps", "2", "--step-size", "0.04", "--mask-weight", "3", "--crf", "--confident", "--out", output);
        Assert.True(code == 0, stdout + stderr);
        foreach (string suffix in (string[])[$"_{cls}_heatmap.png", $"_{cls}_map.png", "_seeds.png", "_crf.png", "_confident.png"])
            Assert.True(File.Exists(Path.Combine(output, id + suffix)), suffix);
        Assert.Contains("AdvCAM, 2 steps, xi 0.04, lambda 3", stdout);

        (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "segment", "--server", _server.Address, "--out", output, image);
        Assert.True(code == 0, stdout + stderr);
        Assert.True(File.Exists(Path.Combine(output, id + "_segment.png")));

        (code, _, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--server", _server.Address, "--image", image, "--classes", "zebra", "--out", output);
        Assert.Equal(1, code);
        Assert.Contains("unknown class \"zebra\"", stderr);
        Assert.DoesNotContain("   at ", stderr);

        (code, _, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "attribute", "--server", _server.Address, "--image", image, "--classes", cls, "--trace", "--out", output);
        Assert.Equal(2, code);
        Assert.Contains("--trace works with --package only", stderr);

        (code, _, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "segment", "--server", DeadServer, "--retries", "1", "--out", output, image);
        Assert.Equal(1, code);
        Assert.Contains("Unavailable", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void Sigterm_stops_the_server_gracefully()
    {
        var (code, log) = _server.Stop();
        Assert.Equal(0, code);
        Assert.Contains("Shutting down", log);
        Assert.Contains("Stopped", log);
    }

    [Fact]
    public void Json_logs_are_one_object_per_line_with_the_structured_fields()
    {
        using var server = new ServeProcess("--log-format", "json");
        var (code, log) = server.Stop();
        Assert.Equal(0, code);
        var events = log.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        // (The lines before "listening on" went to the fixture; the rest is the shutdown.)
        var unloaded = Assert.Single(events, e => e.GetProperty("Message").GetString()!.StartsWith("Unloaded default/", StringComparison.Ordinal));
        Assert.Equal("Information", unloaded.GetProperty("LogLevel").GetString());
        Assert.Equal("default", unloaded.GetProperty("State").GetProperty("Name").GetString());
        Assert.Equal(0, unloaded.GetProperty("State").GetProperty("Served").GetInt32());
        Assert.Contains(events, e => e.GetProperty("Message").GetString() == "Stopped");
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(dir.Replace(from, to));
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(file, file.Replace(from, to), overwrite: true);
    }

    public void Dispose() => _server.Dispose();
}
