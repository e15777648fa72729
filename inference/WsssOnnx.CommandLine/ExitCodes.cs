namespace WsssOnnx.CommandLine;

/// <summary>Process exit codes of wsss and wsss-train, documented in docs/cli.md and docs/training.md.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Bad data, input or environment (a missing file, a corrupt image, a diverged run), said in one sentence.</summary>
    public const int Failed = 1;

    /// <summary>Bad options: a value out of range, options that contradict each other, a parse error.</summary>
    public const int Usage = 2;

    /// <summary>ONNX Runtime's native library is missing (scripts/setup.sh installs it).</summary>
    public const int RuntimeMissing = 3;

    /// <summary>An unexpected exception, i.e. a bug: sysexits.h's EX_SOFTWARE. The stack trace goes to stderr.</summary>
    public const int InternalError = 70;

    /// <summary>Stopped by SIGINT (Ctrl+C), the shell's 128 + 2.</summary>
    public const int Interrupted = 130;
}
