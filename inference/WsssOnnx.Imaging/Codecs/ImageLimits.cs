namespace WsssOnnx.Imaging;

/// <summary>
/// Upper bounds on the size of an image the decoder accepts. They are checked against the header before any pixel
/// buffer is allocated, so a small file claiming a huge image costs nothing. The defaults admit every PASCAL VOC /
/// COCO / photo-sized input while keeping one decode under ~120 MB of RGB8 output.
/// </summary>
public sealed record ImageLimits
{
    public static ImageLimits Default { get; } = new();

    /// <summary>Largest accepted width in pixels; 1 or more (default 8192).</summary>
    public int MaxWidth { get; init; } = 8192;

    /// <summary>Largest accepted height in pixels; 1 or more (default 8192).</summary>
    public int MaxHeight { get; init; } = 8192;

    /// <summary>Largest accepted width × height; 1 to <see cref="Array.MaxLength"/> / 3 so an RGB8 image fits one array (default 40 megapixels).</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first field outside its allowed range.</summary>
    internal void Validate()
    {
        if (MaxWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxWidth), MaxWidth, $"ImageLimits.MaxWidth must be in [1, {int.MaxValue}]");
        if (MaxHeight < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxHeight), MaxHeight, $"ImageLimits.MaxHeight must be in [1, {int.MaxValue}]");
        long maxPixels = Array.MaxLength / RgbImage.Channels;
        if (MaxPixels < 1 || MaxPixels > maxPixels)
            throw new ArgumentOutOfRangeException(nameof(MaxPixels), MaxPixels, $"ImageLimits.MaxPixels must be in [1, {maxPixels}]");
    }

    /// <summary>Throws <see cref="ImageDecodeException"/> (<see cref="ImageDecodeFailure.TooLarge"/>) unless a width × height image is admitted.</summary>
    internal void Enforce(long width, long height, string format)
    {
        if (width <= MaxWidth && height <= MaxHeight && width * height <= MaxPixels) return;
        throw new ImageDecodeException(ImageDecodeFailure.TooLarge,
            $"The {format} image is {width}x{height} ({width * height} pixels), over the limit of {MaxWidth}x{MaxHeight} and {MaxPixels} pixels.");
    }
}
