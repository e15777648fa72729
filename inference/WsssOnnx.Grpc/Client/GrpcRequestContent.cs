using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using WsssOnnx.Grpc.Protocol;

namespace WsssOnnx.Grpc.Client;

/// <summary>
/// A request body written as the caller produces framed messages, so a duplex call can exchange messages
/// before its request stream ends. Frames are flushed as soon as no other is waiting.
/// </summary>
internal sealed class GrpcRequestContent : HttpContent
{
    private readonly Channel<byte[]> _frames = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(4) { SingleReader = true });

    public GrpcRequestContent() => Headers.ContentType = new MediaTypeHeaderValue(GrpcHeaders.ContentType);

    public ChannelWriter<byte[]> Frames => _frames.Writer;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var reader = _frames.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var frame)) await stream.WriteAsync(frame, cancellationToken);
                // The last frames go out with END_STREAM when the body ends: one flush fewer for unary calls.
                if (!reader.Completion.IsCompleted) await stream.FlushAsync(cancellationToken);
            }
        }
        finally
        {
            // Once the body is over (sent, or cut short by the response ending), later writes fail instead of waiting forever.
            _frames.Writer.TryComplete();
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
