using System.Runtime.InteropServices;
using WsssOnnx.Imaging.Interop;

namespace WsssOnnx.Imaging.Tests;

public sealed class InteropTests
{
    [Fact]
    public void Native_struct_layouts_match_the_c_headers()
    {
        // struct spng_ihdr: two uint32_t and five uint8_t, padded to 4-byte alignment; struct spng_plte: uint32_t + 256 × 4 bytes.
        Assert.Equal(16, Marshal.SizeOf<Spng.Ihdr>());
        Assert.Equal(4 + 256 * 4, Marshal.SizeOf<Spng.Plte>());
    }

    [Fact]
    public void Native_handles_are_released_on_dispose()
    {
        TurboJpegHandle tj = TurboJpeg.CreateDecompressor();
        SpngContextHandle spng = Spng.CreateContext(Spng.ContextFlags.Decoder);
        Assert.False(tj.IsInvalid);
        Assert.False(spng.IsInvalid);

        tj.Dispose();
        spng.Dispose();

        Assert.True(tj.IsClosed);
        Assert.True(spng.IsClosed);
    }

    [Fact]
    public void Library_status_checks_carry_the_library_message()
    {
        var e = Assert.Throws<NativeCodecException>(() => Spng.Check(18, "spng_decode_image"));
        Assert.Equal("invalid chunk checksum", e.NativeMessage);
        Assert.False(e.IsWarning);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, ImageFormat.Jpeg)]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0 }, ImageFormat.Png)]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, ImageFormat.Unknown)]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 }, ImageFormat.Unknown)] // GIF89a
    public void Format_is_detected_by_magic_bytes(byte[] data, ImageFormat expected) => Assert.Equal(expected, ImageDecoder.DetectFormat(data));
}
