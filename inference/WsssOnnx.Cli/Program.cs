using System.CommandLine;
using WsssOnnx.Cli;
using WsssOnnx.Runtime;

var root = new RootCommand("wsss: weakly supervised semantic segmentation on ONNX Runtime (AdvCAM pseudo-labels, segmentation, gRPC service)")
{
    InfoCommand.Create(),
    ServeCommand.Create(),
    SegmentCommand.Create(),
    AttributeCommand.Create(),
    RelabelCommand.Create(),
    EvalCommand.Create(),
    BenchCommand.Create(),
    ServerBenchCommand.Create(),
};

// Redirected output (a log file, a pipe) gets plain lines: no colour codes, no redrawn progress bars, whatever TERM says.
if (Console.IsOutputRedirected)
{
    Spectre.Console.AnsiConsole.Profile.Capabilities.Ansi = false;
    Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive = false;
}

try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (OnnxRuntimeUnavailableException e)
{
    Console.Error.WriteLine($"wsss: {e.Message}");
    return ExitCodes.RuntimeMissing;
}
catch (CommandFailedException e)
{
    Console.Error.WriteLine($"wsss: {e.Message}");
    return ExitCodes.Failed;
}
catch (ModelLoadException e)
{
    Console.Error.WriteLine($"wsss: {e.Message}");
    return ExitCodes.Failed;
}
