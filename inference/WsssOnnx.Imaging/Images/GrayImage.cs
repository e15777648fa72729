namespace WsssOnnx.Imaging;

/// <summary>
/// A one-byte-per-pixel image: a grey level, or the class index of a label map
/// (PASCAL VOC: 0 background, 1–20 object classes, 255 ignored). Pixel (x, y) is <c>Pixels[y * Width + x]</c>.
/// </summary>
public sealed class GrayImage
{
    /// <summary>An all-zero image.</summary>
    public GrayImage(int width, int height) : this(width, height, new byte[PixelBytes(width, height)]) { }

    /// <summary>Wraps <paramref name="pixels"/> (not copied), which must hold exactly width × height bytes.</summary>
    public GrayImage(int width, int height, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        long expected = PixelBytes(width, height);
        if (pixels.LongLength != expected)
            throw new ArgumentException($"a {width}x{height} one-channel image needs {expected} bytes but the buffer has {pixels.LongLength}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>One byte per pixel, row-major, no row padding.</summary>
    public byte[] Pixels { get; }

    /// <summary>Row <paramref name="y"/>.</summary>
    public Span<byte> Row(int y) => Pixels.AsSpan(checked(y * Width), Width);

    public override string ToString() => $"GrayImage {Width}x{Height}";

    internal static int PixelBytes(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long bytes = (long)width * height;
        if (bytes > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(width), $"a {width}x{height} image needs {bytes} bytes, more than one array can hold");
        return (int)bytes;
    }
}
