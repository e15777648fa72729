using System.Diagnostics;
using System.Runtime.InteropServices;

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

    /// <summary>The folder holding wsss-perf.dll.</summary>
    public static string PerfDirectory { get; } = Path.Combine(RepoRoot, "perf", "WsssOnnx.Perf", "bin", Configuration, "net10.0");

    public static (int ExitCode, string Stdout, string Stderr) Run(string directory, params string[] args) => RunProgram(Path.Combine(directory, "wsss.dll"), args);

    /// <summary>Runs `wsss` with <paramref name="environment"/> added to this process's environment.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunWith(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunProgram(Path.Combine(BuildDirectory, "wsss.dll"), args, environment);

    public static (int ExitCode, string Stdout, string Stderr) RunTrainer(params string[] args) => RunProgram(Path.Combine(TrainerDirectory, "wsss-train.dll"), args);

    public static (int ExitCode, string Stdout, string Stderr) RunPerf(params string[] args) => RunProgram(Path.Combine(PerfDirectory, "wsss-perf.dll"), args);

    /// <summary>
    /// Starts `wsss` with output redirected and SIGINT at its default disposition, and returns at once. An ignored signal
    /// stays ignored across exec, and a non-interactive shell ignores SIGINT in what it starts with &amp;, so a test runner
    /// launched that way would pass the ignore on; `env --default-signal=INT` (coreutils 8.31+) undoes it. env and
    /// dotnet exec in place and `dotnet wsss.dll` runs the app in its own process, so the id is the app's.
    /// </summary>
    public static Process StartWithSigint(params string[] args) => StartProgram(Path.Combine(BuildDirectory, "wsss.dll"), args, defaultSigint: true);

    /// <summary>wsss-train with SIGINT's default disposition restored, as <see cref="StartWithSigint"/>.</summary>
    public static Process StartTrainerWithSigint(params string[] args) => StartProgram(Path.Combine(TrainerDirectory, "wsss-train.dll"), args, defaultSigint: true);

    /// <summary>Starts `wsss` with output redirected and returns at once.</summary>
    public static Process Start(params string[] args) => StartProgram(Path.Combine(BuildDirectory, "wsss.dll"), args);

    /// <summary>As <see cref="Start"/>, with extra environment variables (e.g. DOTNET_PROCESSOR_COUNT).</summary>
    public static Process Start(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        StartProgram(Path.Combine(BuildDirectory, "wsss.dll"), args, environment: environment);

    public const int Sigint = 2;
    public const int Sigterm = 15;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/> (kill(2)); 0 on success.</summary>
    public static int Kill(int pid, int signal) => NativeKill(pid, signal);

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in this project for one int call
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int NativeKill(int pid, int signal);
#pragma warning restore SYSLIB1054

    private static Process StartProgram(string dll, string[] args, bool defaultSigint = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(defaultSigint ? "env" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        if (defaultSigint)
        {
            start.ArgumentList.Add("--default-signal=INT");
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    private static (int ExitCode, string Stdout, string Stderr) RunProgram(string dll, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = StartProgram(dll, args, environment: environment);
        return WaitForExit(process, $"{Path.GetFileName(dll)} {string.Join(' ', args)}", TimeSpan.FromMinutes(2));
    }

    /// <summary>A loopback TCP port that was free a moment ago.</summary>
    public static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Reads a started process's redirected output to its end; kills it and throws past <paramref name="limit"/>.</summary>
    public static (int ExitCode, string Stdout, string Stderr) WaitForExit(Process process, string what, TimeSpan limit)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish in {limit.TotalMinutes} minutes");
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
