using System.CommandLine;
using System.Runtime.InteropServices;
using Spectre.Console;

namespace WsssOnnx.CommandLine;

/// <summary>
/// The body of Main that wsss and wsss-train share: plain output when redirected, an interrupt sentence, parse and
/// invoke, and one mapping from what escapes a command to an exit code and what stderr says.
/// </summary>
/// <remarks>
/// <see cref="UsageException"/> is exit 2, <see cref="CommandFailedException"/> and the types a tool registers with
/// <see cref="Fails{TException}"/> are exit 1, the type registered with <see cref="RuntimeMissing{TException}"/> is
/// exit 3; each prints "name: message" only. Anything else is a bug: exit 70 with the exception type, message and stack.
/// </remarks>
public sealed class CommandLineProgram
{
    private readonly string _name;
    private readonly RootCommand _root;
    private readonly List<(Type Type, int Code)> _known = [(typeof(UsageException), ExitCodes.Usage), (typeof(CommandFailedException), ExitCodes.Failed)];

    /// <param name="name">The program's name as stderr lines start with it (wsss, wsss-train).</param>
    public CommandLineProgram(string name, RootCommand root)
    {
        _name = name ?? throw new ArgumentNullException(nameof(name));
        _root = root ?? throw new ArgumentNullException(nameof(root));
    }

    /// <summary>
    /// Printed to stderr on SIGINT or SIGTERM before the process ends as the runtime's default has it (exit 130 / 143);
    /// null: nothing printed (commands that stop gracefully register their own handlers).
    /// </summary>
    public string? InterruptSentence { get; init; }

    /// <summary>Exceptions of <typeparamref name="TException"/> (or derived) mean bad data, input or environment: exit 1 with their message.</summary>
    public CommandLineProgram Fails<TException>() where TException : Exception => Register(typeof(TException), ExitCodes.Failed);

    /// <summary>Exceptions of <typeparamref name="TException"/> mean ONNX Runtime's native library is missing: exit 3 with their message.</summary>
    public CommandLineProgram RuntimeMissing<TException>() where TException : Exception => Register(typeof(TException), ExitCodes.RuntimeMissing);

    private CommandLineProgram Register(Type type, int code)
    {
        _known.Insert(0, (type, code)); // later registrations first, so a specific type can override a general one
        return this;
    }

    /// <summary>The line width Spectre assumes when output is redirected: wide enough that no log line is wrapped.</summary>
    public const int RedirectedWidth = 4096;

    /// <summary>Parses <paramref name="args"/>, runs the chosen command and returns the process exit code.</summary>
    public int Run(string[] args)
    {
        // Redirected output (a log file, a pipe) gets plain lines: no colour codes, no redrawn progress bars, whatever TERM says.
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Capabilities.Ansi = false;
            AnsiConsole.Profile.Capabilities.Interactive = false;
            AnsiConsole.Profile.Width = RedirectedWidth; // else Spectre wraps at 80 columns and a log's lines break mid-value
        }
        using var interrupt = InterruptSentence is null ? null : new InterruptNotice($"{_name}: {InterruptSentence}");
        return Invoke(args, Console.Error);
    }

    /// <summary>As <see cref="Run"/> without the console set-up: parse, invoke, map what escapes; messages go to <paramref name="error"/>.</summary>
    public int Invoke(string[] args, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            var parsed = _root.Parse(args);
            int code = parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = error });
            // The parser prints its errors and the help; a bad command line is a usage error, not a failure.
            return parsed.Errors.Count > 0 && code != ExitCodes.Ok ? ExitCodes.Usage : code;
        }
        catch (Exception e)
        {
            return ExitCodeFor(e, error);
        }
    }

    /// <summary>The exit code for <paramref name="exception"/>, after writing what the user should see to <paramref name="error"/>.</summary>
    public int ExitCodeFor(Exception exception, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(error);
        // Parallel loops wrap a single failure; the failure is what the user needs to hear about.
        while (exception is AggregateException { InnerExceptions.Count: 1 } aggregate) exception = aggregate.InnerExceptions[0];
        foreach (var (type, code) in _known)
        {
            if (!type.IsInstanceOfType(exception)) continue;
            error.WriteLine($"{_name}: {exception.Message}");
            return code;
        }
        error.WriteLine($"{_name}: internal error: this is a bug in {_name}, not a problem with your input; please report it with the lines below.");
        error.WriteLine(exception.ToString());
        return ExitCodes.InternalError;
    }

    /// <summary>Says <c>sentence</c> on SIGINT and SIGTERM and lets the signal end the process as usual.</summary>
    private sealed class InterruptNotice : IDisposable
    {
        private readonly PosixSignalRegistration[] _registrations;

        public InterruptNotice(string sentence) =>
            _registrations = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }.Select(signal => PosixSignalRegistration.Create(signal, _ => Console.Error.WriteLine(sentence)))];

        public void Dispose()
        {
            foreach (var registration in _registrations) registration.Dispose();
        }
    }
}
