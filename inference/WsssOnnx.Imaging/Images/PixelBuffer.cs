namespace WsssOnnx.Imaging;

/// <summary>Size checks shared by the 8-bit image types: width × height × channels bytes, row-major, no padding.</summary>
internal static class PixelBuffer
{
    /// <summary>Bytes of a <paramref name="width"/> × <paramref name="height"/> image; both at least 1, the total within one array.</summary>
    public static int Bytes(int width, int height, int channels, string kind)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long bytes = (long)width * height * channels;
        if (bytes > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(width), $"a {width}x{height} {kind} image needs {bytes} bytes, more than one array can hold");
        return (int)bytes;
    }

    /// <summary><paramref name="pixels"/>, after checking it holds exactly the image's bytes.</summary>
    public static byte[] Checked(byte[] pixels, int width, int height, int channels, string kind)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        long expected = Bytes(width, height, channels, kind);
        if (pixels.LongLength != expected)
            throw new ArgumentException($"a {width}x{height} {kind} image needs {expected} bytes but the buffer has {pixels.LongLength}", nameof(pixels));
        return pixels;
    }
}
