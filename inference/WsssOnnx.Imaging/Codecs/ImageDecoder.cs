namespace WsssOnnx.Imaging;

/// <summary>
/// Decodes JPEG and PNG images from memory, recognising the format by its magic bytes. Bad input never crashes or
/// hangs: it throws <see cref="ImageDecodeException"/> with a <see cref="ImageDecodeFailure"/> reason, and the image
/// size is checked against <see cref="Limits"/> before the pixel buffer is allocated.
/// Thread-safe: every call uses its own native decoder.
/// </summary>
public sealed class ImageDecoder
{
    private static ReadOnlySpan<byte> JpegMagic => [0xFF, 0xD8, 0xFF];

    private static ReadOnlySpan<byte> PngMagic => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public ImageDecoder(ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        limits.Validate();
        Limits = limits;
    }

    public ImageLimits Limits { get; }

    /// <summary>The format named by the leading magic bytes, or <see cref="ImageFormat.Unknown"/>.</summary>
    public static ImageFormat DetectFormat(ReadOnlySpan<byte> data) =>
        data.StartsWith(JpegMagic) ? ImageFormat.Jpeg
        : data.StartsWith(PngMagic) ? ImageFormat.Png
        : ImageFormat.Unknown;

    /// <summary>Decodes a JPEG (greyscale, YCbCr, RGB, CMYK or YCCK) or a PNG (any colour type, bit depth, interlacing) to RGB8.</summary>
    /// <exception cref="ImageDecodeException">The data is empty, not JPEG/PNG, truncated, corrupt, or over the limits.</exception>
    public RgbImage DecodeRgb(ReadOnlySpan<byte> data) => Detect(data) switch
    {
        ImageFormat.Jpeg => JpegDecoder.Decode(data, Limits),
        _ => PngDecoder.DecodeRgb(data, Limits),
    };

    /// <summary>
    /// Decodes a label map PNG to one byte per pixel without colour lookup: a palette PNG (e.g. PASCAL VOC
    /// SegmentationClass) gives its palette indices, a greyscale PNG of 1–8 bits its raw sample values.
    /// </summary>
    /// <exception cref="ImageDecodeException">Not a PNG, truncated, corrupt, over the limits, or neither palette nor ≤ 8-bit greyscale (UnsupportedColorSpace).</exception>
    public GrayImage DecodeLabels(ReadOnlySpan<byte> png)
    {
        if (Detect(png) != ImageFormat.Png)
            throw new ImageDecodeException(ImageDecodeFailure.UnknownFormat, "A label map must be a PNG; this is a JPEG, whose lossy compression would corrupt the labels.");
        return PngDecoder.DecodeLabels(png, Limits);
    }

    private static ImageFormat Detect(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            throw new ImageDecodeException(ImageDecodeFailure.Empty, "The image data is empty.");
        ImageFormat format = DetectFormat(data);
        if (format != ImageFormat.Unknown) return format;
        // A strict prefix of a signature is the start of a file that was cut off.
        if (JpegMagic.StartsWith(data) || PngMagic.StartsWith(data))
            throw new ImageDecodeException(ImageDecodeFailure.Truncated, $"The image data stops inside a format signature, after {data.Length} of its bytes.");
        throw new ImageDecodeException(ImageDecodeFailure.UnknownFormat,
            $"The image data is neither JPEG nor PNG (starts with {Convert.ToHexString(data[..Math.Min(8, data.Length)])}).");
    }
}
