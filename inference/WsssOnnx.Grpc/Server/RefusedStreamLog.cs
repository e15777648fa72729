using Microsoft.Extensions.Logging;

namespace WsssOnnx.Grpc.Server;

/// <summary>
/// Counts the streams Kestrel refuses at the per-connection stream limit (RST_STREAM REFUSED_STREAM, RFC 9113 5.1.2).
/// Kestrel enforces that limit itself and reports a refusal only as a debug log entry of its HTTP/2 category, so this
/// provider reads that one category at debug level (other providers keep their own levels) and passes each refusal on.
/// </summary>
internal sealed class RefusedStreamLog(Action refused) : ILoggerProvider
{
    /// <summary>Kestrel's HTTP/2 log category.</summary>
    public const string Category = "Microsoft.AspNetCore.Server.Kestrel.Http2";

    public ILogger CreateLogger(string categoryName) => categoryName == Category ? new Logger(refused) : NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class Logger(Action refused) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // Kestrel's Http2StreamError entry carries the stream error; its message names the RFC 9113 error code.
            if (eventId.Name == "Http2StreamError" && exception?.Message.Contains("(REFUSED_STREAM)", StringComparison.Ordinal) == true) refused();
        }
    }

    private sealed class NullLogger : ILogger
    {
        public static readonly NullLogger Instance = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => false;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }
    }
}
