namespace WsssOnnx.Grpc;

/// <summary>Writes the messages of a stream. Not thread-safe: await each write before the next.</summary>
public interface IGrpcStreamWriter<in T>
{
    /// <summary>Sends one message; completes when it was handed to the transport.</summary>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}
