using WsssOnnx.Packages;

namespace WsssOnnx.Imaging;

/// <summary>Mirroring left to right: pixel x moves to W − 1 − x. Flipping twice gives back the input.</summary>
public static class ImageFlip
{
    public static RgbImage FlipHorizontal(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var output = new RgbImage(image.Width, image.Height, GC.AllocateUninitializedArray<byte>(image.Pixels.Length));
        Mirror<byte>(image.Pixels, output.Pixels, image.Width, RgbImage.Channels);
        return output;
    }

    /// <summary>Flips a grey image or label map, e.g. together with its RGB image for augmentation.</summary>
    public static GrayImage FlipHorizontal(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var output = new GrayImage(image.Width, image.Height, GC.AllocateUninitializedArray<byte>(image.Pixels.Length));
        Mirror<byte>(image.Pixels, output.Pixels, image.Width, 1);
        return output;
    }

    /// <summary>Flips every plane of a float tensor along its last axis (width), e.g. CAMs [C, H, W].</summary>
    public static HostTensor<float> FlipHorizontal(HostTensor<float> maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        (_, int width, _) = ImageResize.PlaneShape(maps);
        var output = HostTensor<float>.Zeros(maps.Shape);
        Mirror<float>(maps.Data, output.Data, width, 1);
        return output;
    }

    private static void Mirror<T>(ReadOnlySpan<T> src, Span<T> dst, int width, int channels)
    {
        int rowLength = width * channels;
        for (int start = 0; start < src.Length; start += rowLength)
        {
            ReadOnlySpan<T> row = src.Slice(start, rowLength);
            Span<T> mirrored = dst.Slice(start, rowLength);
            if (channels == 1)
            {
                row.CopyTo(mirrored);
                mirrored.Reverse();
                continue;
            }
            for (int x = 0; x < width; x++)
                row.Slice(x * channels, channels).CopyTo(mirrored.Slice((width - 1 - x) * channels, channels));
        }
    }
}
