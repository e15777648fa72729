namespace WsssOnnx.Perf;

/// <summary>A bad argument to a wsss-perf verb; the message is one sentence for the user (exit 2).</summary>
internal sealed class PerfUsageException(string message) : Exception(message);
