using System.Globalization;
using System.Text.RegularExpressions;

namespace WsssOnnx.Cli.Tests;

/// <summary>
/// wsss-perf runs its measurements and prints figures; these tests check that each verb works and reports what it
/// says it measures, never how fast anything is.
/// </summary>
public sealed class PerfToolTests
{
    [Fact]
    public void Autodiff_times_three_graphs_relative_to_the_forward_pass_and_counts_their_flops()
    {
        var (code, stdout, stderr) = CliProcess.RunPerf("autodiff", "--preset", "small", "--repeats", "1", "--threads", "1");
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("\u001b[", stdout); // redirected: plain text
        var rows = Regex.Matches(stdout, @"│ (forward[^│]*?)\s*│ ([\d.]+)\s*│ ([\d.]+)\s*│ ([\d.]+)\s*│ ([\d.]+)\s*│");
        Assert.Equal(3, rows.Count);
        double Ratio(int row) => double.Parse(rows[row].Groups[4].Value, CultureInfo.InvariantCulture);
        double Gflop(int row) => double.Parse(rows[row].Groups[5].Value, CultureInfo.InvariantCulture);
        Assert.Equal(1.0, Ratio(0));
        // The gradient graphs hold the forward pass and more: more matrix work than the forward pass alone.
        Assert.True(Gflop(1) > Gflop(0) && Gflop(2) > Gflop(0), stdout);
    }

    [Fact]
    public void Micro_runs_the_random_walk_and_dense_crf_benchmarks_through_BenchmarkDotNet()
    {
        var (code, stdout, stderr) = CliProcess.RunPerf("micro", "all", "--quick");
        Assert.True(code == 0, stderr + stdout);
        Assert.Matches(@"\| Walk +\| 2 +\|", stdout);
        Assert.Matches(@"\| Walk +\| 4 +\|", stdout);
        Assert.Matches(@"\| Infer +\| 21 +\|", stdout);
        Assert.Contains("executed benchmarks: 2", stdout);
    }

    [Theory]
    [InlineData("autodiff", "--preset", "huge")]
    [InlineData("training", "--preset", "huge")]
    [InlineData("micro", "everything")]
    public void A_bad_argument_is_a_sentence_and_exit_2(params string[] args)
    {
        var (code, _, stderr) = CliProcess.RunPerf(args);
        Assert.Equal(2, code);
        Assert.StartsWith("wsss-perf: ", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void Micro_without_the_photo_says_where_it_looked()
    {
        string missing = Path.Combine(Path.GetTempPath(), "wsss-perf-no-such-photo.jpg");
        var (code, _, stderr) = CliProcess.RunPerf("micro", "dense-crf", "--image", missing, "--quick");
        Assert.Equal(1, code);
        Assert.Contains(missing, stderr);
    }
}
