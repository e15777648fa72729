using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using Google.Protobuf;
using WsssOnnx.Grpc.Server;

namespace WsssOnnx.Grpc.Protocol;

/// <summary>
/// PROTOCOL-HTTP2: Length-Prefixed-Message → Compressed-Flag (1 byte) Message-Length (4 bytes, big-endian) Message.
/// One codec a call direction pair: sizes are limits in bytes, gzip per compression.md.
/// </summary>
internal sealed record GrpcMessageCodec(int MaxReceiveSize, int MaxSendSize, bool CompressOutgoing, bool IncomingGzip)
{
    public const int HeaderSize = 5;

    /// <summary>Appends one framed message to <paramref name="output"/>.</summary>
    public void Write(IBufferWriter<byte> output, IMessage message)
    {
        var size = message.CalculateSize();
        CheckSendSize(size);
        if (CompressOutgoing)
        {
            var compressed = Gzip(message.ToByteArray());
            WriteHeader(output, compressed: true, compressed.Length);
            output.Write(compressed);
            return;
        }
        WriteHeader(output, compressed: false, size);
        var body = output.GetSpan(size)[..size];
        message.WriteTo(body);
        output.Advance(size);
    }

    /// <summary>One framed message as a new array.</summary>
    public byte[] Frame(IMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>(HeaderSize + message.CalculateSize());
        Write(buffer, message);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads the next message, or null at a clean end of stream. The length prefix is checked against
    /// <see cref="MaxReceiveSize"/> before the body is waited for, so an oversize message is never buffered. With a
    /// <paramref name="guard"/> (server side), a message that has to be waited for takes its length from the guard's
    /// budgets until it is complete, and must keep arriving within the guard's timeouts.
    /// </summary>
    public async ValueTask<T?> ReadAsync<T>(PipeReader reader, MessageParser<T> parser, CancellationToken cancellationToken,
        IncompleteMessageGuard? guard = null)
        where T : class, IMessage<T>
    {
        long length = -1, reserved = 0, seen = 0;
        IncompleteMessageClock? clock = null; // runs once part of a message is in
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await reader.ReadAsync(clock?.Token ?? cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (clock is { Expired: true } && !cancellationToken.IsCancellationRequested)
                {
                    throw guard!.TimedOut(length, seen, clock.Elapsed);
                }
                var buffer = result.Buffer;
                if (buffer.Length >= HeaderSize)
                {
                    (var compressed, length) = ReadHeader(buffer);
                    if (buffer.Length >= HeaderSize + length)
                    {
                        var message = Parse(buffer.Slice(HeaderSize, length), compressed, parser);
                        reader.AdvanceTo(buffer.GetPosition(HeaderSize + length));
                        return message;
                    }
                    if (guard is not null && reserved == 0)
                    {
                        guard.Reserve(length);
                        reserved = length;
                    }
                }
                if (result.IsCompleted)
                {
                    reader.AdvanceTo(buffer.End);
                    if (buffer.Length == 0) return null;
                    throw new RpcException(GrpcStatusCode.Internal, "Incomplete message: the stream ended inside a length-prefixed message.");
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (guard is not null && buffer.Length > seen)
                {
                    // Progress inside a message: the idle timer restarts, within the time the whole message may take.
                    seen = buffer.Length;
                    clock ??= new IncompleteMessageClock(guard, cancellationToken);
                    clock.Progress(length);
                }
            }
        }
        finally
        {
            if (reserved > 0) guard!.Release(reserved);
            clock?.Dispose();
        }
    }

    private (bool Compressed, long Length) ReadHeader(ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        if (header[0] > 1)
            throw new RpcException(GrpcStatusCode.Internal, $"Invalid Compressed-Flag {header[0]}.");
        long length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        // statuscodes.md: a received message larger than the configured limit is RESOURCE_EXHAUSTED.
        if (length > MaxReceiveSize)
            throw new RpcException(GrpcStatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {MaxReceiveSize})");
        return (header[0] == 1, length);
    }

    private T Parse<T>(ReadOnlySequence<byte> body, bool compressed, MessageParser<T> parser) where T : class, IMessage<T>
    {
        // compression.md: a compressed message with no (or identity) message encoding is a protocol error, INTERNAL.
        if (compressed && !IncomingGzip)
            throw new RpcException(GrpcStatusCode.Internal, "Compressed-Flag set but the message encoding is identity.");
        try
        {
            return compressed ? parser.ParseFrom(Gunzip(body)) : parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException e)
        {
            // statuscodes.md: error parsing the request or response proto is INTERNAL.
            throw new RpcException(GrpcStatusCode.Internal, $"Could not parse {typeof(T).Name}: {e.Message}");
        }
    }

    private void CheckSendSize(int size)
    {
        if (size > MaxSendSize)
            throw new RpcException(GrpcStatusCode.ResourceExhausted, $"Sending message larger than max ({size} vs. {MaxSendSize})");
    }

    private static void WriteHeader(IBufferWriter<byte> output, bool compressed, int length)
    {
        var header = output.GetSpan(HeaderSize);
        header[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)length);
        output.Advance(HeaderSize);
    }

    private static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>Inflates at most <see cref="MaxReceiveSize"/> bytes: a decompression bomb stops there.</summary>
    private byte[] Gunzip(ReadOnlySequence<byte> body)
    {
        using var gzip = new GZipStream(new MemoryStream(body.ToArray()), CompressionMode.Decompress);
        var output = new MemoryStream();
        var chunk = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = gzip.Read(chunk)) > 0)
            {
                if (output.Length + read > MaxReceiveSize)
                    throw new RpcException(GrpcStatusCode.ResourceExhausted, $"Decompressed message larger than max ({MaxReceiveSize} bytes)");
                output.Write(chunk, 0, read);
            }
        }
        catch (InvalidDataException e)
        {
            // statuscodes.md: could not decompress with a supported algorithm → INTERNAL.
            throw new RpcException(GrpcStatusCode.Internal, $"Could not decompress the message: {e.Message}");
        }
        return output.ToArray();
    }
}
