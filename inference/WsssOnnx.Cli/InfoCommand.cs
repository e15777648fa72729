using System.CommandLine;
using System.Diagnostics;
using WsssOnnx.Runtime;

namespace WsssOnnx.Cli;

/// <summary>`wsss info`: what this installation can run: ORT version, providers, and optionally one model's signature and a timed run.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var provider = new Option<ProviderPreference>("--provider") { Description = "Execution provider to ask for (Cpu or Cuda; Cuda falls back to CPU with the reason)", DefaultValueFactory = _ => ProviderPreference.Cpu };
        var model = new Option<FileInfo?>("--model") { Description = "An ONNX file to load, describe and run once on zeros" };
        var command = new Command("info", "Show the ONNX Runtime version, its execution providers, and optionally load a model") { provider, model };
        command.SetAction(result => Run(result.GetValue(provider), result.GetValue(model)));
        return command;
    }

    private static int Run(ProviderPreference provider, FileInfo? model)
    {
        Console.WriteLine($"ONNX Runtime {OrtRuntime.Version}");
        Console.WriteLine($"providers in this build: {string.Join(", ", OrtRuntime.AvailableProviders)}");
        if (model is null) return ExitCodes.Ok;

        var watch = Stopwatch.StartNew();
        using var session = ModelSession.Load(model.FullName, new SessionConfig { Provider = provider });
        Console.WriteLine($"model: {model.FullName} (loaded and warmed up in {watch.Elapsed.TotalMilliseconds:F0} ms)");
        Console.WriteLine($"provider: {session.Provider}");
        foreach (var input in session.Inputs) Console.WriteLine($"  input  {input}");
        foreach (var output in session.Outputs) Console.WriteLine($"  output {output}");
        return ExitCodes.Ok;
    }
}
