using System.CommandLine;
using WsssOnnx.CommandLine;
using WsssOnnx.Perf;
using WsssOnnx.Runtime;

// wsss-perf: the project's performance measurements, one verb each; they print figures and assert nothing
// (docs/benchmarks.md lists them with the numbers measured so far).
var root = new RootCommand("wsss-perf: timings of the autodiff graphs, training throughput, and BenchmarkDotNet runs of the random walk and dense CRF")
{
    AutodiffTimings.Create(),
    TrainingThroughput.Create(),
    MicroBenchmarks.Create(),
};
return new CommandLineProgram("wsss-perf", root)
    .Fails<IOException>()
    .Fails<InvalidDataException>()
    .RuntimeMissing<OnnxRuntimeUnavailableException>()
    .Run(args);
