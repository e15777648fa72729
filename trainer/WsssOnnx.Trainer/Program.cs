using System.CommandLine;
using WsssOnnx.Datasets;
using WsssOnnx.Graph.Import;
using WsssOnnx.Packages.Onnx;
using WsssOnnx.Runtime;
using WsssOnnx.Trainer;
using WsssOnnx.Training.Loop;

var root = new RootCommand("wsss-train: build, train and export the WsssOnnx networks (ONNX graphs with explicit gradients, run on ONNX Runtime)")
{
    MakeDatasetCommand.Create(),
    ImportBackboneCommand.Create(),
    TrainClassifierCommand.Create(),
    MakeSeedsCommand.Create(),
    TrainSegmenterCommand.Create(),
    TrainIrnCommand.Create(),
    ExportCommand.Create(),
    PackageClassifierCommand.Create(),
};

// Ctrl+C or SIGTERM ends the process as before (exit 130 / 143), but says what was kept: checkpoints and label files are
// written whole (AtomicFile), so the same command resumes a training run and skips finished label maps.
const string interrupted = "interrupted. A training run keeps its last epoch's checkpoint and make-seeds its finished label maps; run the same command again to go on.";
return new CommandLineProgram("wsss-train", root) { InterruptSentence = interrupted }
    .Fails<DatasetException>()
    .Fails<TrainingDivergedException>()
    .Fails<OnnxFormatException>()
    .Fails<ModelLoadException>()
    .Fails<InvalidDataException>()
    .Fails<OnnxImportException>()
    .Fails<IOException>()
    .Fails<UnauthorizedAccessException>()
    .RuntimeMissing<OnnxRuntimeUnavailableException>()
    .Run(args);
