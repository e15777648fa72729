using WsssOnnx.Imaging.Interop;

namespace WsssOnnx.Imaging;

/// <summary>
/// JPEG to RGB8 through TurboJPEG with libjpeg's defaults (accurate integer IDCT, fancy chroma upsampling), which
/// are also PIL's. One decompressor per call, so concurrent decodes share nothing.
/// </summary>
internal static unsafe class JpegDecoder
{
    internal static RgbImage Decode(ReadOnlySpan<byte> jpeg, ImageLimits limits)
    {
        using TurboJpegHandle tj = TurboJpeg.CreateDecompressor();
        fixed (byte* src = jpeg)
        {
            int width = 0, height = 0;
            TurboJpeg.ColorSpace colorSpace = TurboJpeg.ColorSpace.YCbCr;
            try
            {
                TurboJpeg.Check(TurboJpeg.tjDecompressHeader3(tj, src, (nuint)jpeg.Length, out width, out height, out _, out colorSpace), tj, nameof(TurboJpeg.tjDecompressHeader3));
            }
            catch (NativeCodecException e)
            {
                ThrowUnlessRecovered(e, jpeg);
            }

            // No frame header: tjDecompressHeader3 returns success for a tables-only datastream, and also when the data
            // runs out before SOF (libjpeg's memory source then supplies a fake EOI, which reads as tables-only).
            if (width <= 0 || height <= 0)
                throw JpegStream.Scan(jpeg).ReachesEndOfImage
                    ? new ImageDecodeException(ImageDecodeFailure.Corrupt, "The JPEG data holds no image frame (a tables-only datastream).")
                    : new ImageDecodeException(ImageDecodeFailure.Truncated, $"The JPEG data ends inside its headers ({jpeg.Length} bytes).");
            limits.Enforce(width, height, "JPEG");

            if (colorSpace is TurboJpeg.ColorSpace.Cmyk or TurboJpeg.ColorSpace.Ycck)
            {
                byte[] cmyk = GC.AllocateUninitializedArray<byte>(checked(width * height * 4));
                fixed (byte* dst = cmyk) Decompress(tj, src, jpeg, dst, width, height, TurboJpeg.PixelFormat.Cmyk);
                return CmykToRgb(cmyk, width, height, inverted: JpegStream.Scan(jpeg).AdobeMarker);
            }

            var image = new RgbImage(width, height, GC.AllocateUninitializedArray<byte>(RgbImage.PixelBytes(width, height)));
            fixed (byte* dst = image.Pixels) Decompress(tj, src, jpeg, dst, width, height, TurboJpeg.PixelFormat.Rgb);
            return image;
        }
    }

    /// <summary>Decompresses at the header's size (no DCT scaling; pitch 0 = width x pixel size).</summary>
    private static void Decompress(TurboJpegHandle tj, byte* src, ReadOnlySpan<byte> jpeg, byte* dst, int width, int height, TurboJpeg.PixelFormat format)
    {
        try
        {
            TurboJpeg.Check(TurboJpeg.tjDecompress2(tj, src, (nuint)jpeg.Length, dst, width, 0, height, format, TurboJpeg.Flags.LimitScans),
                tj, nameof(TurboJpeg.tjDecompress2));
        }
        catch (NativeCodecException e)
        {
            ThrowUnlessRecovered(e, jpeg);
        }
    }

    /// <summary>
    /// CMYK to RGB without a colour profile, as browsers and PIL do: R = (255 - C)(255 - K) / 255, likewise G from M and
    /// B from Y. A JPEG with an Adobe APP14 segment stores inverted inks (Photoshop's convention, which libjpeg leaves to
    /// the application), so there the decoded values are 255 - C etc. and R = C'K' / 255.
    /// </summary>
    internal static RgbImage CmykToRgb(byte[] cmyk, int width, int height, bool inverted)
    {
        var image = new RgbImage(width, height, GC.AllocateUninitializedArray<byte>(RgbImage.PixelBytes(width, height)));
        byte[] rgb = image.Pixels;
        for (int i = 0, n = width * height; i < n; i++)
        {
            int k = inverted ? cmyk[4 * i + 3] : 255 - cmyk[4 * i + 3];
            for (int c = 0; c < 3; c++)
            {
                int ink = inverted ? cmyk[4 * i + c] : 255 - cmyk[4 * i + c];
                rgb[3 * i + c] = (byte)((ink * k + 127) / 255);
            }
        }
        return image;
    }

    /// <summary>
    /// Classifies a TurboJPEG failure. libjpeg's memory source answers running out of data with a warning
    /// ("Premature end of JPEG file") and a fake EOI, filling the rest of the image grey, so a warning alone
    /// cannot be trusted; the marker walk decides:
    /// the data runs out before EOI: Truncated (for a fatal error only if the walk met nothing irregular, else it is garbage: Corrupt);
    /// a complete stream with a warning (e.g. extraneous bytes before a marker): accepted, as libjpeg does;
    /// a complete stream with a fatal error: Corrupt.
    /// </summary>
    private static void ThrowUnlessRecovered(NativeCodecException e, ReadOnlySpan<byte> jpeg)
    {
        JpegStreamScan scan = JpegStream.Scan(jpeg);
        if (!scan.ReachesEndOfImage && (e.IsWarning || !scan.Irregular))
            throw new ImageDecodeException(ImageDecodeFailure.Truncated,
                $"The JPEG data ends before its end-of-image marker ({jpeg.Length} bytes; libjpeg-turbo: {e.NativeMessage}).", e);
        if (e.IsWarning && scan.ReachesEndOfImage) return;
        throw new ImageDecodeException(ImageDecodeFailure.Corrupt, $"The JPEG data is corrupt (libjpeg-turbo: {e.NativeMessage}).", e);
    }
}
