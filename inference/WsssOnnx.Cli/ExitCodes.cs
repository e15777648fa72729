namespace WsssOnnx.Cli;

/// <summary>Process exit codes of the wsss command, documented in docs/cli.md.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int RuntimeMissing = 3;

    /// <summary>Stopped by SIGINT (Ctrl+C), the shell's 128 + 2.</summary>
    public const int Interrupted = 130;
}
