using System.CommandLine;
using System.Diagnostics;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Cli;

/// <summary>`wsss info`: what this installation can run: ORT version, providers, and optionally one model's signature and a timed run.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var provider = new Option<ProviderPreference>("--provider")
        {
            Description = "Execution provider to ask for (Cpu or Cuda; Cuda falls back to CPU with the reason)",
            DefaultValueFactory = _ => ProviderPreference.Cpu,
        };
        var model = new Option<FileInfo?>("--model") { Description = "An ONNX file to load, describe and run once on zeros" };
        var package = new Option<DirectoryInfo?>("--package") { Description = "A model package folder (models/<name>/<version>): verify it and load its networks" };
        var command = new Command("info", "Show the ONNX Runtime version, its execution providers, and optionally load a model or a model package") { provider, model, package };
        command.SetAction(result => Run(result.GetValue(provider), result.GetValue(model), result.GetValue(package)));
        return command;
    }

    private static int Run(ProviderPreference provider, FileInfo? model, DirectoryInfo? package)
    {
        Console.WriteLine($"ONNX Runtime {OrtRuntime.Version}");
        Console.WriteLine($"providers in this build: {string.Join(", ", OrtRuntime.AvailableProviders)}");
        if (package is not null) return DescribePackage(package.FullName, provider);
        if (model is null) return ExitCodes.Ok;

        var watch = Stopwatch.StartNew();
        using var session = ModelSession.Load(model.FullName, new SessionConfig { Provider = provider });
        Console.WriteLine($"model: {model.FullName} (loaded and warmed up in {watch.Elapsed.TotalMilliseconds:F0} ms)");
        Console.WriteLine($"provider: {session.Provider}");
        foreach (var input in session.Inputs) Console.WriteLine($"  input  {input}");
        foreach (var output in session.Outputs) Console.WriteLine($"  output {output}");
        return ExitCodes.Ok;
    }

    private static int DescribePackage(string directory, ProviderPreference provider)
    {
        ModelPackage package;
        try
        {
            package = ModelPackage.Open(directory);
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"wsss: {e.Message}");
            return ExitCodes.Failed;
        }
        var m = package.Manifest;
        Console.WriteLine($"package {m.Name}/{m.Version}: {m.Networks.Backbone} width {m.Networks.Width}, classes {string.Join(", ", m.Classes)}");
        Console.WriteLine($"metrics: {string.Join(", ", m.Metrics.Select(kv => $"{kv.Key} {kv.Value:G4}"))}");
        Console.WriteLine($"seed background thresholds: CAM {m.AdvCam.BackgroundThresholdOf(climbed: false):G3}, AdvCAM {m.AdvCam.BackgroundThresholdOf(climbed: true):G3}");
        foreach (var role in m.Files.Keys)
        {
            var watch = Stopwatch.StartNew();
            using var session = ModelSession.Load(package.PathOf(role), new SessionConfig { Provider = provider, WarmUp = false });
            Console.WriteLine($"  {role}: {m.Files[role].Bytes / 1e6:F1} MB, loaded in {watch.Elapsed.TotalMilliseconds:F0} ms on {session.Provider}");
        }
        return ExitCodes.Ok;
    }
}
