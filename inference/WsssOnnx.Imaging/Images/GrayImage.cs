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
        Pixels = PixelBuffer.Checked(pixels, width, height, 1, "one-channel");
        Width = width;
        Height = height;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>One byte per pixel, row-major, no row padding.</summary>
    public byte[] Pixels { get; }

    /// <summary>Row <paramref name="y"/>.</summary>
    public Span<byte> Row(int y) => Pixels.AsSpan(checked(y * Width), Width);

    public override string ToString() => $"GrayImage {Width}x{Height}";

    internal static int PixelBytes(int width, int height) => PixelBuffer.Bytes(width, height, 1, "one-channel");
}
