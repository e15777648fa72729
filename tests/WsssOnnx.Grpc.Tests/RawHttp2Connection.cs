using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WsssOnnx.Grpc.Tests;

/// <summary>
/// An HTTP/2 connection driven frame by frame over a socket (RFC 9113), for what HttpClient never does: read the
/// server's SETTINGS, open more streams than allowed, see GOAWAY and RST_STREAM. Header blocks use HPACK literals
/// without Huffman coding (RFC 7541 6.1, 6.2.2); responses' header blocks are not decoded.
/// </summary>
internal sealed class RawHttp2Connection : IAsyncDisposable
{
    public const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAway = 0x7, WindowUpdate = 0x8;
    public const byte EndStream = 0x1, EndHeaders = 0x4, Ack = 0x1;
    /// <summary>RFC 9113 7: REFUSED_STREAM.</summary>
    public const uint RefusedStream = 0x7;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly int _port;

    private RawHttp2Connection(Socket socket, int port)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _port = port;
    }

    public sealed record Frame(byte Type, byte Flags, int StreamId, byte[] Payload)
    {
        /// <summary>RST_STREAM's or GOAWAY's error code (RFC 9113 6.4, 6.8).</summary>
        public uint ErrorCode => BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(Type == GoAway ? 4 : 0));

        /// <summary>GOAWAY's last-stream-id (RFC 9113 6.8).</summary>
        public int LastStreamId => (int)(BinaryPrimitives.ReadUInt32BigEndian(Payload) & 0x7FFF_FFFF);

        /// <summary>SETTINGS parameters (RFC 9113 6.5.1): identifier → value.</summary>
        public Dictionary<ushort, uint> SettingValues()
        {
            var values = new Dictionary<ushort, uint>();
            for (int i = 0; i + 6 <= Payload.Length; i += 6)
                values[BinaryPrimitives.ReadUInt16BigEndian(Payload.AsSpan(i))] = BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(i + 2));
            return values;
        }
    }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> and sends the preface and an empty SETTINGS (RFC 9113 3.4).</summary>
    public static async Task<RawHttp2Connection> ConnectAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var connection = new RawHttp2Connection(socket, port);
        await connection._stream.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await connection.WriteFrameAsync(Settings, 0, 0, []);
        return connection;
    }

    /// <summary>HEADERS for a gRPC POST to <paramref name="path"/> on <paramref name="streamId"/> (odd, increasing).</summary>
    public Task SendRequestHeadersAsync(int streamId, string path, bool endStream = false)
    {
        var block = new List<byte> { 0x83, 0x86 }; // indexed :method POST, :scheme http (RFC 7541 Appendix A)
        Literal(block, 4, path);                    // :path
        Literal(block, 1, $"127.0.0.1:{_port}");    // :authority
        Literal(block, 31, "application/grpc");     // content-type
        Literal(block, 0, "trailers", "te");
        return WriteFrameAsync(Headers, (byte)(EndHeaders | (endStream ? EndStream : 0)), streamId, [.. block]);
    }

    public Task SendDataAsync(int streamId, byte[] data, bool endStream = false) =>
        WriteFrameAsync(Data, endStream ? EndStream : (byte)0, streamId, data);

    /// <summary>
    /// Reads frames until one matches, acknowledging SETTINGS and answering PING on the way; null when the server
    /// closed the connection first. Fails after <paramref name="timeout"/>.
    /// </summary>
    public async Task<Frame?> ReadUntilAsync(Func<Frame, bool> match, TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        while (await ReadFrameAsync(limit.Token) is { } frame)
        {
            if (frame.Type == Settings && (frame.Flags & Ack) == 0) await WriteFrameAsync(Settings, Ack, 0, []);
            if (frame.Type == Ping && (frame.Flags & Ack) == 0) await WriteFrameAsync(Ping, Ack, 0, frame.Payload);
            if (match(frame)) return frame;
        }
        return null;
    }

    private async Task<Frame?> ReadFrameAsync(CancellationToken cancellation)
    {
        var header = new byte[9];
        try
        {
            await _stream.ReadExactlyAsync(header, cancellation);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            return null;
        }
        int length = header[0] << 16 | header[1] << 8 | header[2];
        var payload = new byte[length];
        await _stream.ReadExactlyAsync(payload, cancellation);
        return new Frame(header[3], header[4], (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7FFF_FFFF), payload);
    }

    private async Task WriteFrameAsync(byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), (uint)streamId);
        payload.CopyTo(frame, 9);
        await _stream.WriteAsync(frame);
    }

    /// <summary>RFC 7541 6.2.2: literal without indexing; a static-table name index, or 0 and a literal name.</summary>
    private static void Literal(List<byte> block, int nameIndex, string value, string? name = null)
    {
        Integer(block, 0x00, 4, nameIndex);
        if (nameIndex == 0) String(block, name!);
        String(block, value);
    }

    private static void String(List<byte> block, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Integer(block, 0x00, 7, bytes.Length); // H = 0: no Huffman coding
        block.AddRange(bytes);
    }

    /// <summary>RFC 7541 5.1: an integer with an N-bit prefix.</summary>
    private static void Integer(List<byte> block, byte first, int prefixBits, int value)
    {
        int max = (1 << prefixBits) - 1;
        if (value < max)
        {
            block.Add((byte)(first | value));
            return;
        }
        block.Add((byte)(first | max));
        for (value -= max; value >= 128; value >>= 7) block.Add((byte)(value % 128 + 128));
        block.Add((byte)value);
    }

    public ValueTask DisposeAsync()
    {
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
        return _stream.DisposeAsync();
    }
}
