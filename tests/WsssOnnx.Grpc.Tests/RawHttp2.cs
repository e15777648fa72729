using System.Net;
using System.Net.Http.Headers;

namespace WsssOnnx.Grpc.Tests;

/// <summary>Hand-made HTTP/2 requests, for what a well-behaved client never sends.</summary>
internal static class RawHttp2
{
    public static Task<HttpResponseMessage> PostAsync(int port, string path, string contentType, HttpContent body,
        params (string Name, string Value)[] headers) => PostAsync(port, path, contentType, body, CancellationToken.None, headers);

    /// <summary>As above; <paramref name="cancellation"/> resets the stream (RST_STREAM CANCEL) as a client's own timer would.</summary>
    public static async Task<HttpResponseMessage> PostAsync(int port, string path, string contentType, HttpContent body,
        CancellationToken cancellation, params (string Name, string Value)[] headers)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return await PostAsync(client, port, path, contentType, body, cancellation, headers);
    }

    /// <summary>As above on <paramref name="client"/>'s connection: requests of one client share one HTTP/2 connection.</summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, int port, string path, string contentType, HttpContent body,
        CancellationToken cancellation, params (string Name, string Value)[] headers)
    {
        body.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}{path}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = body,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellation);
        return response;
    }

    /// <summary>A grpc-status from the trailers, or from the headers of a Trailers-Only response.</summary>
    public static string? Status(HttpResponseMessage response) =>
        response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.First()
        : response.Headers.TryGetValues("grpc-status", out var h) ? h.First() : null;

    /// <summary>The decoded grpc-message, from the trailers or a Trailers-Only response's headers, or null.</summary>
    public static string? Message(HttpResponseMessage response) =>
        (response.TrailingHeaders.TryGetValues("grpc-message", out var t) ? t.First()
            : response.Headers.TryGetValues("grpc-message", out var h) ? h.First() : null) is { } wire ? Uri.UnescapeDataString(wire) : null;

    public static byte[] Frame(byte[] message, bool compressed = false)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>A body that sends <paramref name="chunks"/> of <paramref name="chunkSize"/> zero bytes after its prefix, one every <paramref name="interval"/>, then ends.</summary>
    public sealed class TrickleContent(byte[] prefix, int chunks, int chunkSize, TimeSpan interval) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(prefix);
            await stream.FlushAsync();
            for (int i = 0; i < chunks; i++)
            {
                await Task.Delay(interval);
                await stream.WriteAsync(new byte[chunkSize]);
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>The 5-byte length prefix of a message of <paramref name="length"/> bytes, then <paramref name="bodyBytes"/> of its body.</summary>
    public static byte[] PartialFrame(int length, int bodyBytes)
    {
        var bytes = new byte[5 + bodyBytes];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1), (uint)length);
        return bytes;
    }

    /// <summary>A body that sends its bytes and then never ends, as a client stuck mid-message would.</summary>
    public sealed class EndlessContent(byte[] prefix) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(prefix);
            await stream.FlushAsync();
            await Task.Delay(Timeout.Infinite, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
