using System.CommandLine;
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
    AutodiffBenchmarkCommand.Create(),
    TrainingBenchmarkCommand.Create(),
};

try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (OnnxRuntimeUnavailableException e)
{
    Console.Error.WriteLine($"wsss-train: {e.Message}");
    return 3;
}
catch (Exception e) when (e is WsssOnnx.Training.Data.DatasetException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or IOException or WsssOnnx.Runtime.Onnx.OnnxFormatException or InvalidOperationException)
{
    Console.Error.WriteLine($"wsss-train: {e.Message}");
    return 1;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"wsss-train: {e.Message}");
    return 2;
}
