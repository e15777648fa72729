using System.CommandLine;
using WsssOnnx.Cli;
using WsssOnnx.Imaging;
using WsssOnnx.Packages.Onnx;
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

// Commands that stop gracefully on Ctrl+C (relabel, serve) say what they kept themselves, so no interrupt sentence here.
return new CommandLineProgram("wsss", root)
    .Fails<ModelLoadException>()
    .Fails<OnnxFormatException>()
    .Fails<ImageDecodeException>()
    .Fails<InvalidDataException>()
    .Fails<IOException>()
    .Fails<UnauthorizedAccessException>()
    .RuntimeMissing<OnnxRuntimeUnavailableException>()
    .Run(args);
