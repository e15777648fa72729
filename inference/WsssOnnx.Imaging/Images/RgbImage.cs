namespace WsssOnnx.Imaging;

/// <summary>
/// An 8-bit RGB image: <see cref="Width"/> × <see cref="Height"/> pixels, rows top to bottom, each pixel R, G, B
/// interleaved, so channel c of pixel (x, y) is <c>Pixels[3 * (y * Width + x) + c]</c>.
/// </summary>
public sealed class RgbImage
{
    public const int Channels = 3;

    /// <summary>A black image.</summary>
    public RgbImage(int width, int height) : this(width, height, new byte[PixelBytes(width, height)]) { }

    /// <summary>Wraps <paramref name="pixels"/> (not copied), which must hold exactly 3 × width × height bytes.</summary>
    public RgbImage(int width, int height, byte[] pixels)
    {
        Pixels = PixelBuffer.Checked(pixels, width, height, Channels, "RGB");
        Width = width;
        Height = height;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Interleaved RGB8 samples, row-major, no row padding.</summary>
    public byte[] Pixels { get; }

    /// <summary>Bytes per row: 3 × <see cref="Width"/>.</summary>
    public int Stride => Width * Channels;

    /// <summary>Row <paramref name="y"/> as R, G, B triplets.</summary>
    public Span<byte> Row(int y) => Pixels.AsSpan(checked(y * Stride), Stride);

    public override string ToString() => $"RgbImage {Width}x{Height}";

    internal static int PixelBytes(int width, int height) => PixelBuffer.Bytes(width, height, Channels, "RGB");
}
