using System.CommandLine;
using Spectre.Console;
using WsssOnnx.Imaging;
using WsssOnnx.Training.Pretrained;

namespace WsssOnnx.Trainer;

/// <summary>`wsss-train import-backbone`: the ImageNet ResNet-18 (ML.NET's CNTK export) as our network, for --init-from.</summary>
internal static class ImportBackboneCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo>("--out")
        {
            Description = "ONNX file to write (our ResNet-18 with ImageNet weights; outputs features and pooled)",
            DefaultValueFactory = _ => new FileInfo(ImageNetBackbone.ConvertedFile),
        };
        var source = new Option<DirectoryInfo?>("--source") { Description = $"The featurizer package's DnnImageModels folder (default: the one the build restored, {ImageNetBackbone.SourceFolder})" };
        var command = new Command(
            "import-backbone",
            "Convert the ImageNet ResNet-18 of NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 into an ONNX file --init-from loads " +
            "(preprocessing folded into conv1)")
        {
            output,
            source,
        };
        command.SetAction(r =>
        {
            string path = r.GetValue(output)!.FullName;
            var imported = ImageNetBackbone.Import(r.GetValue(source)?.FullName ?? ImageNetBackbone.SourceFolder, path, ImageNormalization.ImageNet);
            AnsiConsole.MarkupLine(Markup.Escape(
                $"wrote {path}: ResNet with blocks [{string.Join(", ", imported.Blocks)}], width {imported.Width}, " +
                $"{imported.Weights.Count} tensors; {imported.Folded}"));
            return 0;
        });
        return command;
    }
}
