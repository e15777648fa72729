using WsssOnnx.Imaging.Interop;

namespace WsssOnnx.Imaging;

/// <summary>Baseline JPEG encoding through TurboJPEG (tjCompress2, accurate integer DCT).</summary>
public static class JpegEncoder
{
    /// <summary>Encodes an RGB image at <paramref name="quality"/> 1 (worst) to 100 (best), IJG scale.</summary>
    public static byte[] Encode(RgbImage image, int quality, JpegSubsampling subsampling = JpegSubsampling.Yuv420)
    {
        ArgumentNullException.ThrowIfNull(image);
        TurboJpeg.Subsampling tjSubsampling = subsampling switch
        {
            JpegSubsampling.Yuv444 => TurboJpeg.Subsampling.Yuv444,
            JpegSubsampling.Yuv422 => TurboJpeg.Subsampling.Yuv422,
            JpegSubsampling.Yuv420 => TurboJpeg.Subsampling.Yuv420,
            _ => throw new ArgumentOutOfRangeException(nameof(subsampling), subsampling, "unknown JpegSubsampling"),
        };
        return Encode(image.Pixels, image.Width, image.Height, TurboJpeg.PixelFormat.Rgb, tjSubsampling, quality);
    }

    /// <summary>Encodes a greyscale image as a one-component JPEG at <paramref name="quality"/> 1 to 100, IJG scale.</summary>
    public static byte[] EncodeGray(GrayImage image, int quality)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Encode(image.Pixels, image.Width, image.Height, TurboJpeg.PixelFormat.Gray, TurboJpeg.Subsampling.Gray, quality);
    }

    /// <summary>
    /// Encodes packed pixels of any TurboJPEG format (RGB, grey, CMYK: a CMYK source gives a YCCK JPEG).
    /// Compresses into a managed worst-case buffer (tjBufSize, TJFLAG_NOREALLOC), so TurboJPEG allocates nothing we must free.
    /// </summary>
    internal static unsafe byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, TurboJpeg.PixelFormat format, TurboJpeg.Subsampling subsampling, int quality,
        TurboJpeg.Flags flags = TurboJpeg.Flags.None)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        int pixelSize = format switch { TurboJpeg.PixelFormat.Gray => 1, TurboJpeg.PixelFormat.Cmyk => 4, _ => 3 };
        if (pixels.Length != (long)width * height * pixelSize)
            throw new ArgumentException($"a {width}x{height} image of {format} needs {(long)width * height * pixelSize} bytes, got {pixels.Length}", nameof(pixels));

        try
        {
            using TurboJpegHandle tj = TurboJpeg.CreateCompressor();
            byte[] buffer = GC.AllocateUninitializedArray<byte>(checked((int)TurboJpeg.tjBufSize(width, height, subsampling)));
            fixed (byte* src = pixels)
            fixed (byte* dst = buffer)
            {
                byte* jpeg = dst;
                nuint size = (nuint)buffer.Length;
                TurboJpeg.Check(TurboJpeg.tjCompress2(tj, src, width, 0, height, format, &jpeg, &size, subsampling, quality, flags | TurboJpeg.Flags.NoRealloc),
                    tj, nameof(TurboJpeg.tjCompress2));
                return buffer.AsSpan(0, checked((int)size)).ToArray();
            }
        }
        catch (NativeCodecException e)
        {
            throw new ImageEncodeException($"JPEG encoding failed (libjpeg-turbo {e.Function}: {e.NativeMessage}).", e);
        }
    }
}
