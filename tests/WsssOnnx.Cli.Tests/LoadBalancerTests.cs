using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace WsssOnnx.Cli.Tests;

/// <summary>
/// Scale-out as docs/service.md describes it: three `wsss serve` replicas on loopback behind a real gRPC load balancer,
/// Debian's nginx (set-up takes its binary into .deps/nginx) with grpc_pass over an upstream group, which balances per
/// call. The `wsss` client only knows the balancer's address.
/// </summary>
public sealed class LoadBalancerTests(ITestOutputHelper output) : IDisposable
{
    private const int Images = 60;
    private const string SegmentMetric = "wsss_requests_total{code=\"OK\",method=\"/wsss.v1.Segmentation/Segment\"}";

    private readonly string _work = Directory.CreateTempSubdirectory("wsss-lb-").FullName;
    private readonly List<ServeProcess> _replicas = [];
    private Process? _nginx;

    [Fact]
    public async Task Calls_spread_over_the_replicas_and_a_replica_killed_mid_run_loses_nothing()
    {
        string data = Path.Combine(_work, "data");
        var made = CliProcess.RunTrainer("make-dataset", "--out", data, "--train", "2", "--val", Images.ToString(CultureInfo.InvariantCulture),
            "--size", "96", "--overwrite");
        Assert.True(made.ExitCode == 0, made.Stderr);
        string[] images = [.. File.ReadAllLines(Path.Combine(data, "ImageSets", "Segmentation", "val.txt")).Where(l => l.Length > 0)
            .Select(id => Path.Combine(data, "JPEGImages", id + ".jpg"))];

        for (int i = 0; i < 3; i++) _replicas.Add(new ServeProcess("--concurrency", "1", "--metrics-port", "0"));
        string balancer = StartNginx(_replicas.Select(r => r.Address));

        // Balance: 30 Segment calls through the balancer, one after another, land evenly (round robin: 10 each).
        var segmented = CliProcess.Run(CliProcess.BuildDirectory, ["segment", "--server", balancer, "--out", Path.Combine(_work, "balance"), .. images.Take(30)]);
        Assert.True(segmented.ExitCode == 0, segmented.Stderr);
        var counts = new List<int>();
        foreach (var replica in _replicas) counts.Add(await SegmentCount(replica));
        output.WriteLine($"Segment calls per replica: {string.Join(", ", counts)}");
        Assert.Equal(30, counts.Sum());
        Assert.All(counts, c => Assert.InRange(c, 6, 14));

        // Failure: a relabel run (three streams through the balancer) and Segment calls at once; one replica is killed
        // (SIGKILL, calls in flight) once ten labels are written, and more Segment calls follow. Broken calls are retried
        // through the balancer, which no longer sends anything to the dead replica.
        string labels = Path.Combine(_work, "labels");
        using var relabel = CliProcess.Start("relabel", "--server", $"{balancer},{balancer},{balancer}", "--window", "2", "--data", data,
            "--split", "val", "--out", labels, "--method", "advcam", "--steps", "5", "--mode", "seeds");
        using var segmentDuring = CliProcess.Start(["segment", "--server", balancer, "--retries", "10", "--out", Path.Combine(_work, "during"), .. images]);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while ((!Directory.Exists(labels) || Directory.GetFiles(labels, "*.png").Length < 10) && !relabel.HasExited && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        int before = Directory.Exists(labels) ? Directory.GetFiles(labels, "*.png").Length : 0;
        Assert.True(before < Images, $"the run ended before a replica could be killed ({before} labels)");
        // The victim is a replica with a call running, so the kill cuts work off mid-way.
        int victim = 0;
        for (int i = 0; i < 3; i++)
            if (await Gauge(_replicas[i], "wsss_admission_running") > 0) { victim = i; break; }
        _replicas[victim].Crash();
        output.WriteLine($"killed replica {victim} ({_replicas[victim].Address}) after {before} of {Images} labels");
        using var segmentAfter = CliProcess.Start(["segment", "--server", balancer, "--retries", "10", "--out", Path.Combine(_work, "after"), .. images]);

        var relabelled = CliProcess.WaitForExit(relabel, "relabel through nginx", TimeSpan.FromMinutes(3));
        output.WriteLine(relabelled.Stdout);
        Assert.True(relabelled.ExitCode == 0, relabelled.Stdout + relabelled.Stderr);
        foreach (var (process, folder) in (ReadOnlySpan<(Process, string)>)[(segmentDuring, "during"), (segmentAfter, "after")])
        {
            var result = CliProcess.WaitForExit(process, "segment through nginx", TimeSpan.FromMinutes(3));
            Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
            Assert.Equal(Images, Directory.GetFiles(Path.Combine(_work, folder), "*_segment.png").Length);
        }
        Assert.Contains($"{Images} images, ", relabelled.Stdout);
        Assert.Contains(" 0 failed", relabelled.Stdout);
        var written = Directory.GetFiles(labels, "*.png");
        Assert.Equal(Images, written.Length);
        Assert.All(written, f => Assert.True(TestPng.IsComplete(File.ReadAllBytes(f)), $"{f} is not a complete PNG"));

        // The survivors shared the calls made after the kill: each took at least a third of them on top of its first ones.
        foreach (int i in Enumerable.Range(0, 3).Where(i => i != victim))
        {
            int served = await SegmentCount(_replicas[i]);
            output.WriteLine($"replica {i}: {served} Segment calls in all");
            Assert.True(served >= counts[i] + Images / 3, $"replica {i} served {served} Segment calls, {counts[i]} of them before the kill");
        }
    }

    /// <summary>Starts nginx on a free loopback port with the replicas as one upstream group; returns host:port.</summary>
    private string StartNginx(IEnumerable<string> replicas)
    {
        string nginx = Path.Combine(CliProcess.RepoRoot, ".deps", "nginx", "nginx");
        Assert.True(File.Exists(nginx), $"{nginx} is missing: scripts/setup.sh takes it out of Debian's nginx package");
        int port = CliProcess.FreeTcpPort();
        string prefix = Path.Combine(_work, "nginx");
        Directory.CreateDirectory(prefix);
        string config = Path.Combine(prefix, "nginx.conf");
        File.WriteAllText(config, NginxConfig(prefix, port, replicas));
        var start = new ProcessStartInfo(nginx) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])["-p", prefix, "-e", Path.Combine(prefix, "error.log"), "-c", config, "-g", $"daemon off; pid {prefix}/nginx.pid;"])
            start.ArgumentList.Add(a);
        _nginx = Process.Start(start)!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (_nginx.HasExited) Assert.Fail($"nginx exited ({_nginx.ExitCode}): {_nginx.StandardError.ReadToEnd()}");
            try
            {
                using var probe = new TcpClient("127.0.0.1", port);
                return $"127.0.0.1:{port}";
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>
    /// docs/deploy/nginx.conf as documented, with three changes for a test run: the listen address, the replicas as the
    /// upstream group, and temporary-file folders that a non-root user can write.
    /// </summary>
    internal static string NginxConfig(string prefix, int port, IEnumerable<string> replicas)
    {
        string documented = File.ReadAllText(Path.Combine(CliProcess.RepoRoot, "docs", "deploy", "nginx.conf"));
        var upstream = new Regex(@"^(\s*)server \S+:\d+ (.*)$", RegexOptions.Multiline);
        var first = upstream.Match(documented);
        Assert.True(first.Success, "docs/deploy/nginx.conf has no upstream server line");
        string servers = string.Join("\n", replicas.Select(r => $"{first.Groups[1].Value}server {r} {first.Groups[2].Value}"));
        string config = upstream.Replace(documented, "");
        config = config.Insert(config.IndexOf("upstream wsss {", StringComparison.Ordinal) + "upstream wsss {".Length, "\n" + servers);
        config = Regex.Replace(config, @"listen \S+ http2;", $"listen 127.0.0.1:{port} http2;");
        string temp = string.Join("\n", ((string[])["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]).Select(t => $"  {t}_temp_path {prefix}/{t};"));
        return config.Replace("http {", "http {\n" + temp);
    }

    private static async Task<int> SegmentCount(ServeProcess replica) => (int)await Gauge(replica, SegmentMetric);

    /// <summary>A sample's value on the replica's /metrics (0 when absent), by its full name with labels.</summary>
    private static async Task<double> Gauge(ServeProcess replica, string sample)
    {
        using var http = new HttpClient();
        string text = await http.GetStringAsync(replica.MetricsUrl ?? throw new InvalidOperationException("the replica has no metrics port"));
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(sample + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[sample.Length..].Trim(), CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        if (_nginx is { HasExited: false })
        {
            _nginx.Kill();
            _nginx.WaitForExit(TimeSpan.FromSeconds(10));
        }
        _nginx?.Dispose();
        foreach (var replica in _replicas) replica.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}
