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
            if (colorSpace is TurboJpeg.ColorSpace.Cmyk or TurboJpeg.ColorSpace.Ycck)
                throw new ImageDecodeException(ImageDecodeFailure.UnsupportedColorSpace,
                    $"The JPEG image is {(colorSpace == TurboJpeg.ColorSpace.Cmyk ? "CMYK" : "YCCK")}; only greyscale, YCbCr and RGB JPEGs are decoded.");
            limits.Enforce(width, height, "JPEG");

            var image = new RgbImage(width, height, GC.AllocateUninitializedArray<byte>(RgbImage.PixelBytes(width, height)));
            fixed (byte* dst = image.Pixels)
            {
                try
                {
                    // Same width/height as the header, so no DCT scaling; pitch 0 = width * 3.
                    TurboJpeg.Check(TurboJpeg.tjDecompress2(tj, src, (nuint)jpeg.Length, dst, width, 0, height, TurboJpeg.PixelFormat.Rgb, TurboJpeg.Flags.LimitScans),
                        tj, nameof(TurboJpeg.tjDecompress2));
                }
                catch (NativeCodecException e)
                {
                    ThrowUnlessRecovered(e, jpeg);
                }
            }
            return image;
        }
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
