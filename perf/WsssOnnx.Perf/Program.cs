using System.CommandLine;
using WsssOnnx.Perf;

// wsss-perf: the project's performance measurements, one verb each; they print figures and assert nothing
// (docs/benchmarks.md lists them with the numbers measured so far).
var root = new RootCommand("wsss-perf: timings of the autodiff graphs, training throughput, and BenchmarkDotNet runs of the random walk and dense CRF")
{
    AutodiffTimings.Create(),
    TrainingThroughput.Create(),
    MicroBenchmarks.Create(),
};

// Redirected output gets plain lines: no colour codes, no redrawn tables.
if (Console.IsOutputRedirected)
{
    Spectre.Console.AnsiConsole.Profile.Capabilities.Ansi = false;
    Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive = false;
}

try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (PerfUsageException e)
{
    Console.Error.WriteLine($"wsss-perf: {e.Message}");
    return 2;
}
