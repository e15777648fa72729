using System.IO.Pipelines;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using WsssOnnx.Grpc.Protocol;

namespace WsssOnnx.Grpc.Tests;

/// <summary>The wire rules without a socket: timeouts, status messages, framing.</summary>
public sealed class GrpcProtocolTests
{
    [Theory]
    [InlineData("1H", 3600_000.0)]
    [InlineData("2M", 120_000.0)]
    [InlineData("3S", 3000.0)]
    [InlineData("250m", 250.0)]
    [InlineData("1500u", 1.5)]
    [InlineData("2000000n", 2.0)]
    public void Timeout_parses_every_unit(string header, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GrpcTimeout.Parse(header));

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("123456789S")]
    [InlineData("10s")]
    [InlineData("-1S")]
    public void Malformed_timeout_is_ignored(string header) => Assert.Null(GrpcTimeout.Parse(header));

    [Theory]
    [InlineData(0.0001)]
    [InlineData(0.5)]
    [InlineData(250.0)]
    [InlineData(90_000.0)]
    [InlineData(400_000_000.0)]
    [InlineData(1e12)]
    public void Formatted_timeout_fits_eight_digits_and_is_never_shorter(double milliseconds)
    {
        var timeout = TimeSpan.FromMilliseconds(milliseconds);
        var header = GrpcTimeout.Format(timeout);
        Assert.InRange(header.Length, 2, 9);
        Assert.True(GrpcTimeout.Parse(header) >= timeout, $"{header} < {timeout}");
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("100%", "100%25")]
    [InlineData("é✓", "%C3%A9%E2%9C%93")]
    [InlineData("a\nb", "a%0Ab")]
    public void Status_message_is_percent_encoded_as_utf8(string message, string wire)
    {
        Assert.Equal(wire, GrpcStatusMessage.Encode(message));
        Assert.Equal(message, GrpcStatusMessage.Decode(wire));
    }

    [Fact]
    public void Malformed_percent_encoding_decodes_leniently() => Assert.Equal("50%x %4", GrpcStatusMessage.Decode("50%x %4"));

    [Fact]
    public async Task Messages_split_byte_by_byte_and_packed_together_are_read_whole()
    {
        var codec = new GrpcMessageCodec(1 << 20, int.MaxValue, CompressOutgoing: false, IncomingGzip: false);
        var frames = Enumerable.Range(0, 5).SelectMany(i => codec.Frame(new StringValue { Value = new string('v', i * 100) })).ToArray();
        var pipe = new Pipe();
        var writing = Task.Run(async () =>
        {
            // The first half a byte at a time, the rest in one write.
            for (var i = 0; i < frames.Length / 2; i++) await pipe.Writer.WriteAsync(frames.AsMemory(i, 1));
            await pipe.Writer.WriteAsync(frames.AsMemory(frames.Length / 2));
            await pipe.Writer.CompleteAsync();
        });
        var read = new List<int>();
        while (await codec.ReadAsync(pipe.Reader, StringValue.Parser, default) is { } message) read.Add(message.Value.Length);
        await writing;
        Assert.Equal([0, 100, 200, 300, 400], read);
    }

    [Fact]
    public async Task Stream_ending_inside_a_message_is_internal()
    {
        var codec = new GrpcMessageCodec(1 << 20, int.MaxValue, false, false);
        var frame = codec.Frame(new StringValue { Value = "truncated" });
        var reader = PipeReader.Create(new MemoryStream(frame[..^2]));
        var error = await Assert.ThrowsAsync<RpcException>(async () => await codec.ReadAsync(reader, StringValue.Parser, default));
        Assert.Equal(GrpcStatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task Gzip_frames_round_trip()
    {
        var writer = new GrpcMessageCodec(1 << 20, int.MaxValue, CompressOutgoing: true, IncomingGzip: false);
        var reader = writer with { IncomingGzip = true };
        var message = new StringValue { Value = string.Concat(Enumerable.Repeat("gzip ", 1000)) };
        var frame = writer.Frame(message);
        Assert.Equal(1, frame[0]);
        Assert.True(frame.Length < message.CalculateSize() / 10);
        Assert.Equal(message, await reader.ReadAsync(PipeReader.Create(new MemoryStream(frame)), StringValue.Parser, default));
    }

    [Fact]
    public void Metadata_rejects_bad_keys_and_values()
    {
        var metadata = new Metadata();
        Assert.Throws<ArgumentException>(() => metadata.Add("Bad Key", "v"));
        Assert.Throws<ArgumentException>(() => metadata.Add("k", "é"));
        Assert.Throws<ArgumentException>(() => metadata.Add("k-bin", "text"));
        Assert.Throws<ArgumentException>(() => metadata.Add("k", new byte[] { 1 }));
        Assert.Throws<ArgumentException>(() => metadata.Add("grpc-status", "0"));
    }

    [Fact]
    public void Binary_metadata_accepts_padded_and_unpadded_base64()
    {
        var metadata = new Metadata();
        metadata.AddWire("a-bin", "AQI");
        metadata.AddWire("b-bin", "AQI=");
        Assert.Equal(new byte[] { 1, 2 }, metadata.GetBytes("a-bin"));
        Assert.Equal(new byte[] { 1, 2 }, metadata.GetBytes("b-bin"));
        Assert.Equal("AQI", Metadata.ToWire(new Metadata.Entry("a-bin", null, [1, 2])));
    }
}
