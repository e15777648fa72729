using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace WsssOnnx.Cli.Tests;

/// <summary>`wsss bench-server` against its in-process server on the bundled package, small and short (no timing thresholds).</summary>
public sealed class ServerBenchCommandTests
{
    [Fact]
    public void Json_has_every_workload_at_every_concurrency_without_errors()
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "bench-server", "--requests", "8", "--concurrency", "1,2", "--skip-advcam", "--json");
        Assert.True(code == 0, $"exit {code}: {stdout}{stderr}");
        using var document = JsonDocument.Parse(stdout);
        var root = document.RootElement;
        Assert.Equal("in-process", root.GetProperty("target").GetString());
        Assert.True(root.GetProperty("server").GetProperty("concurrency_limit").GetInt32() >= 1);
        // The in-process server's queue holds every caller, so no call may be refused.
        Assert.True(root.GetProperty("server").GetProperty("queue_capacity").GetInt32() >= 2);
        foreach (string sample in new[] { "memory_before", "memory_after_warm_up", "memory_after" })
        {
            Assert.True(root.GetProperty(sample).GetProperty("rss_bytes").GetInt64() > 0, sample);
            Assert.True(root.GetProperty(sample).GetProperty("gc_heap_bytes").GetInt64() > 0, sample);
        }

        var results = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(6, results.Count);
        foreach (string workload in new[] { "empty", "segment", "cam" })
        {
            foreach (int callers in new[] { 1, 2 })
            {
                var level = Assert.Single(results, r => r.GetProperty("workload").GetString() == workload && r.GetProperty("concurrency").GetInt32() == callers);
                string where = $"{workload} x{callers}: {level}";
                Assert.True(level.GetProperty("requests").GetInt32() == 8, where);
                Assert.True(level.GetProperty("ok").GetInt32() == 8, where);
                Assert.True(level.GetProperty("errors").EnumerateObject().Count() == 0, where);
                double p50 = level.GetProperty("p50_ms").GetDouble(), p90 = level.GetProperty("p90_ms").GetDouble(), p99 = level.GetProperty("p99_ms").GetDouble();
                Assert.True(p50 > 0 && p50 <= p90 && p90 <= p99, where);
                Assert.True(level.GetProperty("requests_per_second").GetDouble() > 0, where);
                Assert.True(level.GetProperty("rss_after_bytes").GetInt64() > 0, where);
            }
        }
    }

    [Fact]
    public void Unreachable_server_is_one_sentence_and_exit_1()
    {
        // A port that was free a moment ago: nothing listens on it now.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "bench-server", "--server", $"127.0.0.1:{port}", "--skip-advcam");
        Assert.True(code == 1, $"exit {code}: {stdout}{stderr}");
        Assert.Contains("UNAVAILABLE", stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", stderr + stdout);
    }

    [Fact]
    public void Malformed_server_address_is_one_sentence_and_exit_2()
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "bench-server", "--server", "localhost");
        Assert.True(code == 2, $"exit {code}: {stdout}{stderr}");
        Assert.Contains("--server must be host:port", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }
}
