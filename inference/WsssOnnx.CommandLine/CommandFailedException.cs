namespace WsssOnnx.CommandLine;

/// <summary>A command cannot go on because of its data, input or environment; its message is one sentence for the user, printed without a stack trace (exit code 1).</summary>
public sealed class CommandFailedException : Exception
{
    public CommandFailedException(string message, Exception? innerException = null) : base(message, innerException) { }
}
