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
        ArgumentNullException.ThrowIfNull(pixels);
        long expected = PixelBytes(width, height);
        if (pixels.LongLength != expected)
            throw new ArgumentException($"a {width}x{height} RGB image needs {expected} bytes but the buffer has {pixels.LongLength}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
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

    internal static int PixelBytes(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long bytes = (long)width * height * Channels;
        if (bytes > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(width), $"a {width}x{height} RGB image needs {bytes} bytes, more than one array can hold");
        return (int)bytes;
    }
}
