namespace WsssOnnx.Cli;

/// <summary>A command cannot go on; its message is one sentence for the user, printed without a stack trace (exit code 1).</summary>
internal sealed class CommandFailedException : Exception
{
    public CommandFailedException(string message, Exception? innerException = null) : base(message, innerException) { }
}
