using WsssOnnx.Imaging.Interop;

namespace WsssOnnx.Imaging;

/// <summary>
/// PNG decoding through libspng, one context per call. Any colour type, bit depth and interlacing decodes to RGB8
/// (palette expanded, greyscale replicated, alpha dropped without compositing, 16-bit samples reduced to their high
/// byte, no gamma correction); label maps decode to their raw palette indices or grey values.
/// </summary>
internal static unsafe class PngDecoder
{
    // spng_set_chunk_limits: the largest single ancillary chunk (text, ICC profile, EXIF) and all stored ones together.
    // Image data (IDAT) is not bound by these; it is bounded by the image size. Exceeding them fails as TooLarge.
    private const int MaxChunkBytes = 16 << 20;
    private const int MaxChunkCacheBytes = 64 << 20;

    internal static RgbImage DecodeRgb(ReadOnlySpan<byte> png, ImageLimits limits)
    {
        fixed (byte* src = png)
        {
            try
            {
                using SpngContextHandle ctx = Open(src, png.Length, limits);
                Spng.Ihdr ihdr = ReadHeader(ctx, limits);
                var image = new RgbImage((int)ihdr.Width, (int)ihdr.Height, GC.AllocateUninitializedArray<byte>(RgbImage.PixelBytes((int)ihdr.Width, (int)ihdr.Height)));
                fixed (byte* dst = image.Pixels)
                    DecodeImage(ctx, dst, image.Pixels.Length, Spng.Format.Rgb8);
                return image;
            }
            catch (NativeCodecException e)
            {
                throw Classify(e);
            }
        }
    }

    internal static GrayImage DecodeLabels(ReadOnlySpan<byte> png, ImageLimits limits)
    {
        fixed (byte* src = png)
        {
            try
            {
                using SpngContextHandle ctx = Open(src, png.Length, limits);
                Spng.Ihdr ihdr = ReadHeader(ctx, limits);
                if (ihdr.ColorType is not (Spng.ColorType.Indexed or Spng.ColorType.Grayscale) || ihdr.BitDepth > 8)
                    throw new ImageDecodeException(ImageDecodeFailure.UnsupportedColorSpace,
                        $"A label PNG must be palette or greyscale of at most 8 bits; this one is {ihdr.ColorType} with {ihdr.BitDepth}-bit samples.");

                int width = (int)ihdr.Width, height = (int)ihdr.Height;
                var labels = new GrayImage(width, height, GC.AllocateUninitializedArray<byte>(GrayImage.PixelBytes(width, height)));
                // SPNG_FMT_PNG: the samples as stored, no palette lookup and no scaling of 1/2/4-bit greys.
                if (ihdr.BitDepth == 8)
                {
                    fixed (byte* dst = labels.Pixels)
                        DecodeImage(ctx, dst, labels.Pixels.Length, Spng.Format.Png);
                    return labels;
                }

                int rowBytes = (width * ihdr.BitDepth + 7) / 8;
                byte[] packed = GC.AllocateUninitializedArray<byte>(checked(rowBytes * height));
                fixed (byte* dst = packed)
                    DecodeImage(ctx, dst, packed.Length, Spng.Format.Png);
                Unpack(packed, rowBytes, ihdr.BitDepth, labels);
                return labels;
            }
            catch (NativeCodecException e)
            {
                throw Classify(e);
            }
        }
    }

    private static SpngContextHandle Open(byte* src, int length, ImageLimits limits)
    {
        SpngContextHandle ctx = Spng.CreateContext(Spng.ContextFlags.Decoder);
        try
        {
            Spng.Check(Spng.spng_set_image_limits(ctx, (uint)limits.MaxWidth, (uint)limits.MaxHeight), nameof(Spng.spng_set_image_limits));
            Spng.Check(Spng.spng_set_chunk_limits(ctx, MaxChunkBytes, MaxChunkCacheBytes), nameof(Spng.spng_set_chunk_limits));
            Spng.Check(Spng.spng_set_png_buffer(ctx, src, (nuint)length), nameof(Spng.spng_set_png_buffer));
            return ctx;
        }
        catch
        {
            ctx.Dispose();
            throw;
        }
    }

    private static Spng.Ihdr ReadHeader(SpngContextHandle ctx, ImageLimits limits)
    {
        Spng.Check(Spng.spng_get_ihdr(ctx, out Spng.Ihdr ihdr), nameof(Spng.spng_get_ihdr));
        limits.Enforce(ihdr.Width, ihdr.Height, "PNG");
        return ihdr;
    }

    /// <summary>Decodes the image into <paramref name="dst"/>, then reads the remaining chunks up to IEND so a missing tail is an error.</summary>
    private static void DecodeImage(SpngContextHandle ctx, byte* dst, int length, Spng.Format format)
    {
        Spng.Check(Spng.spng_decoded_image_size(ctx, format, out nuint size), nameof(Spng.spng_decoded_image_size));
        if (size != (nuint)length)
            throw new InvalidOperationException($"libspng needs {size} bytes for the decoded image, expected {length}");
        Spng.Check(Spng.spng_decode_image(ctx, dst, size, format, 0), nameof(Spng.spng_decode_image));
        Spng.Check(Spng.spng_decode_chunks(ctx), nameof(Spng.spng_decode_chunks));
    }

    /// <summary>Unpacks 1/2/4-bit samples, most significant bits first within each byte (PNG 7.2), rows padded to a byte.</summary>
    private static void Unpack(ReadOnlySpan<byte> packed, int rowBytes, int bitDepth, GrayImage labels)
    {
        int mask = (1 << bitDepth) - 1;
        int perByte = 8 / bitDepth;
        for (int y = 0; y < labels.Height; y++)
        {
            ReadOnlySpan<byte> row = packed.Slice(y * rowBytes, rowBytes);
            Span<byte> dst = labels.Row(y);
            for (int x = 0; x < dst.Length; x++)
            {
                int shift = 8 - bitDepth * (x % perByte + 1);
                dst[x] = (byte)(row[x / perByte] >> shift & mask);
            }
        }
    }

    private static ImageDecodeException Classify(NativeCodecException e)
    {
        ImageDecodeFailure reason = e.Status switch
        {
            Spng.Errno.IoEof or Spng.Errno.EOf => ImageDecodeFailure.Truncated,
            Spng.Errno.EUserWidth or Spng.Errno.EUserHeight or Spng.Errno.EChunkLimits => ImageDecodeFailure.TooLarge,
            _ => ImageDecodeFailure.Corrupt,
        };
        string what = reason switch
        {
            ImageDecodeFailure.Truncated => "The PNG data ends before its IEND chunk",
            ImageDecodeFailure.TooLarge => "The PNG image or one of its chunks exceeds the size limits",
            _ => "The PNG data is corrupt",
        };
        return new ImageDecodeException(reason, $"{what} (libspng {e.Function}: {e.NativeMessage}).", e);
    }
}
