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
