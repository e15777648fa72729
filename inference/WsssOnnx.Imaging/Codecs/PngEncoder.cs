using System.Runtime.InteropServices;
using WsssOnnx.Imaging.Interop;

namespace WsssOnnx.Imaging;

/// <summary>Lossless PNG encoding through libspng (8-bit, non-interlaced, zlib's default compression level).</summary>
public static class PngEncoder
{
    /// <summary>An 8-bit greyscale PNG (colour type 0), e.g. for a score map scaled to 0–255.</summary>
    public static byte[] EncodeGray(GrayImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Encode(image.Pixels, Header(image.Width, image.Height, Spng.ColorType.Grayscale, bitDepth: 8), palette: default);
    }

    /// <summary>An 8-bit RGB PNG (colour type 2).</summary>
    public static byte[] EncodeRgb(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Encode(image.Pixels, Header(image.Width, image.Height, Spng.ColorType.Truecolor, bitDepth: 8), palette: default);
    }

    /// <summary>
    /// A label map as an 8-bit palette PNG (colour type 3) with the 256-entry <see cref="VocPalette"/>, the format of
    /// PASCAL VOC's SegmentationClass: viewers show class colours, <see cref="ImageDecoder.DecodeLabels"/> reads the indices back.
    /// </summary>
    public static byte[] EncodeVocLabels(GrayImage labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return Encode(labels.Pixels, Header(labels.Width, labels.Height, Spng.ColorType.Indexed, bitDepth: 8), VocPalette.Rgb);
    }

    internal static Spng.Ihdr Header(int width, int height, Spng.ColorType colorType, byte bitDepth, bool interlaced = false) => new()
    {
        Width = (uint)width,
        Height = (uint)height,
        ColorType = colorType,
        BitDepth = bitDepth,
        InterlaceMethod = interlaced ? (byte)1 : (byte)0,
    };

    /// <summary>
    /// Encodes <paramref name="samples"/> laid out as the PNG stores them (SPNG_FMT_PNG: sub-byte samples packed,
    /// 16-bit samples host-endian) under <paramref name="ihdr"/>; <paramref name="palette"/> holds R, G, B triplets
    /// for a palette image.
    /// </summary>
    internal static unsafe byte[] Encode(ReadOnlySpan<byte> samples, Spng.Ihdr ihdr, ReadOnlySpan<byte> palette)
    {
        try
        {
            using SpngContextHandle ctx = Spng.CreateContext(Spng.ContextFlags.Encoder);
            Spng.Check(Spng.spng_set_option(ctx, Spng.Option.EncodeToBuffer, 1), nameof(Spng.spng_set_option));
            Spng.Check(Spng.spng_set_ihdr(ctx, ref ihdr), nameof(Spng.spng_set_ihdr));
            if (!palette.IsEmpty)
            {
                var plte = new Spng.Plte { EntryCount = (uint)(palette.Length / 3) };
                for (int i = 0; i < plte.EntryCount; i++)
                {
                    plte.Entries[4 * i] = palette[3 * i];
                    plte.Entries[4 * i + 1] = palette[3 * i + 1];
                    plte.Entries[4 * i + 2] = palette[3 * i + 2];
                    plte.Entries[4 * i + 3] = 255;
                }
                Spng.Check(Spng.spng_set_plte(ctx, ref plte), nameof(Spng.spng_set_plte));
            }
            fixed (byte* img = samples)
                Spng.Check(Spng.spng_encode_image(ctx, img, (nuint)samples.Length, Spng.Format.Png, Spng.EncodeFinalize), nameof(Spng.spng_encode_image));

            byte* png = Spng.spng_get_png_buffer(ctx, out nuint length, out int error);
            Spng.Check(error, nameof(Spng.spng_get_png_buffer));
            try
            {
                return new ReadOnlySpan<byte>(png, checked((int)length)).ToArray();
            }
            finally
            {
                // The buffer now belongs to us; libspng allocated it with the C allocator, and NativeMemory.Free is C free().
                NativeMemory.Free(png);
            }
        }
        catch (NativeCodecException e)
        {
            throw new ImageEncodeException($"PNG encoding failed (libspng {e.Function}: {e.NativeMessage}).", e);
        }
    }
}
