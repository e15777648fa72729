using System.CommandLine;
using WsssOnnx.Packages;
using WsssOnnx.Packages.Onnx;
using WsssOnnx.Runtime;
using WsssOnnx.Trainer;

var root = new RootCommand("wsss-train: build, train and export the WsssOnnx networks (ONNX graphs with explicit gradients, run on ONNX Runtime)")
{
    MakeDatasetCommand.Create(),
    ImportBackboneCommand.Create(),
    TrainClassifierCommand.Create(),
    MakeSeedsCommand.Create(),
    TrainSegmenterCommand.Create(),
    TrainIrnCommand.Create(),
    ExportCommand.Create(),
};

// Redirected output (a log file, a pipe) gets plain lines: no colour codes, no redrawn progress bars, whatever TERM says.
if (Console.IsOutputRedirected)
{
    Spectre.Console.AnsiConsole.Profile.Capabilities.Ansi = false;
    Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive = false;
}

// Ctrl+C or SIGTERM ends the process as before (exit 130 / 143), but says what was kept: checkpoints and label files are
// written whole (AtomicFile), so the same command resumes a training run and skips finished label maps.
using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, _ =>
    Console.Error.WriteLine("wsss-train: interrupted. A training run keeps its last epoch's checkpoint and make-seeds its finished label maps; run the same command again to go on."));

try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (OnnxRuntimeUnavailableException e)
{
    Console.Error.WriteLine($"wsss-train: {e.Message}");
    return 3;
}
catch (Exception e) when (e is WsssOnnx.Training.Data.DatasetException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or IOException or WsssOnnx.Packages.Onnx.OnnxFormatException or InvalidOperationException)
{
    Console.Error.WriteLine($"wsss-train: {e.Message}");
    return 1;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"wsss-train: {e.Message}");
    return 2;
}
