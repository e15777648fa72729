using System.Diagnostics;

namespace WsssOnnx.Cli.Tests;

/// <summary>Runs the built `wsss` command as a child process and captures what it prints.</summary>
internal static class CliProcess
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The folder holding wsss.dll and everything it loads, as the build left it.</summary>
    public static string BuildDirectory { get; } = Path.Combine(RepoRoot, "inference", "WsssOnnx.Cli", "bin", Configuration, "net10.0");

    /// <summary>The folder holding wsss-train.dll.</summary>
    public static string TrainerDirectory { get; } = Path.Combine(RepoRoot, "trainer", "WsssOnnx.Trainer", "bin", Configuration, "net10.0");

    public static (int ExitCode, string Stdout, string Stderr) Run(string directory, params string[] args) => RunProgram(Path.Combine(directory, "wsss.dll"), args);

    public static (int ExitCode, string Stdout, string Stderr) RunTrainer(params string[] args) => RunProgram(Path.Combine(TrainerDirectory, "wsss-train.dll"), args);

    private static (int ExitCode, string Stdout, string Stderr) RunProgram(string dll, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(dll)} {string.Join(' ', args)} did not finish in 2 minutes");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WsssOnnx.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no WsssOnnx.sln above {AppContext.BaseDirectory}");
    }
}
