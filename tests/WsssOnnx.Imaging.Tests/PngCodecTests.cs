using System.Runtime.InteropServices;
using WsssOnnx.Imaging.Interop;
using Xunit.Abstractions;

namespace WsssOnnx.Imaging.Tests;

public sealed class PngCodecTests(ITestOutputHelper output)
{
    private readonly ImageDecoder decoder = new();

    public static TheoryData<int, int> Sizes => new() { { 1, 1 }, { 17, 5 }, { 64, 48 }, { 333, 7 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Png_rgb_round_trip_is_lossless(int width, int height)
    {
        Random random = TestImages.Seeded(1000 + width * 31 + height, output);
        RgbImage image = TestImages.RandomRgb(random, width, height);

        RgbImage decoded = decoder.DecodeRgb(PngEncoder.EncodeRgb(image));

        Assert.Equal((width, height), (decoded.Width, decoded.Height));
        Assert.Equal(image.Pixels, decoded.Pixels);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Png_gray_round_trip_is_lossless(int width, int height)
    {
        Random random = TestImages.Seeded(2000 + width * 31 + height, output);
        GrayImage image = TestImages.RandomGray(random, width, height);
        byte[] png = PngEncoder.EncodeGray(image);

        Assert.Equal(image.Pixels, decoder.DecodeLabels(png).Pixels);
        RgbImage rgb = decoder.DecodeRgb(png);
        for (int i = 0; i < image.Pixels.Length; i++)
            Assert.Equal((image.Pixels[i], image.Pixels[i], image.Pixels[i]), (rgb.Pixels[3 * i], rgb.Pixels[3 * i + 1], rgb.Pixels[3 * i + 2]));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Voc_palette_png_reads_back_identical_indices_and_shows_voc_colours(int width, int height)
    {
        Random random = TestImages.Seeded(3000 + width * 31 + height, output);
        GrayImage labels = TestImages.RandomGray(random, width, height);
        labels.Pixels[0] = 255;
        byte[] png = PngEncoder.EncodeVocLabels(labels);

        Assert.Equal(3, png[TestImages.FindPngChunk(png, "IHDR") + 8 + 9]);
        Assert.Equal(labels.Pixels, decoder.DecodeLabels(png).Pixels);
        RgbImage rgb = decoder.DecodeRgb(png);
        for (int i = 0; i < labels.Pixels.Length; i++)
            Assert.Equal(VocPalette.Color(labels.Pixels[i]), (rgb.Pixels[3 * i], rgb.Pixels[3 * i + 1], rgb.Pixels[3 * i + 2]));
    }

    [Fact]
    public void Png_16_bit_rgb_decodes_to_the_high_byte_of_each_sample()
    {
        Random random = TestImages.Seeded(4001, output);
        const int width = 19, height = 11;
        ushort[] samples = new ushort[width * height * 3];
        for (int i = 0; i < samples.Length; i++) samples[i] = (ushort)random.Next(65536);
        // SPNG_FMT_PNG takes 16-bit samples host-endian; libspng writes them big-endian.
        byte[] png = PngEncoder.Encode(MemoryMarshal.AsBytes(samples.AsSpan()), PngEncoder.Header(width, height, Spng.ColorType.Truecolor, 16), default);

        RgbImage rgb = decoder.DecodeRgb(png);

        Assert.Equal(samples.Select(s => (byte)(s >> 8)).ToArray(), rgb.Pixels);
    }

    [Fact]
    public void Png_16_bit_gray_with_alpha_decodes_to_replicated_high_bytes()
    {
        Random random = TestImages.Seeded(4002, output);
        const int width = 13, height = 9;
        ushort[] samples = new ushort[width * height * 2];
        for (int i = 0; i < samples.Length; i++) samples[i] = (ushort)random.Next(65536);
        byte[] png = PngEncoder.Encode(MemoryMarshal.AsBytes(samples.AsSpan()), PngEncoder.Header(width, height, Spng.ColorType.GrayscaleAlpha, 16), default);

        RgbImage rgb = decoder.DecodeRgb(png);

        for (int i = 0; i < width * height; i++)
        {
            byte g = (byte)(samples[2 * i] >> 8);
            Assert.Equal((g, g, g), (rgb.Pixels[3 * i], rgb.Pixels[3 * i + 1], rgb.Pixels[3 * i + 2]));
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(8, 8)]
    [InlineData(37, 23)]
    public void Adam7_interlaced_png_decodes_to_the_same_pixels(int width, int height)
    {
        Random random = TestImages.Seeded(5000 + width, output);
        RgbImage image = TestImages.RandomRgb(random, width, height);
        byte[] png = PngEncoder.Encode(image.Pixels, PngEncoder.Header(width, height, Spng.ColorType.Truecolor, 8, interlaced: true), default);

        Assert.Equal(1, png[TestImages.FindPngChunk(png, "IHDR") + 8 + 12]);
        Assert.Equal(image.Pixels, decoder.DecodeRgb(png).Pixels);
    }

    [Fact]
    public void Rgba_png_decodes_with_alpha_dropped_not_composited()
    {
        Random random = TestImages.Seeded(6001, output);
        const int width = 21, height = 6;
        byte[] rgba = new byte[width * height * 4];
        random.NextBytes(rgba);
        byte[] png = PngEncoder.Encode(rgba, PngEncoder.Header(width, height, Spng.ColorType.TruecolorAlpha, 8), default);

        RgbImage rgb = decoder.DecodeRgb(png);

        for (int i = 0; i < width * height; i++)
            Assert.Equal((rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]), (rgb.Pixels[3 * i], rgb.Pixels[3 * i + 1], rgb.Pixels[3 * i + 2]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Low_bit_depth_gray_decodes_to_rgb_by_bit_replication_and_to_raw_labels(int bitDepth)
    {
        Random random = TestImages.Seeded(7000 + bitDepth, output);
        const int width = 29, height = 7;
        GrayImage values = TestImages.RandomGray(random, width, height, levels: 1 << bitDepth);
        byte[] png = PngEncoder.Encode(Pack(values, bitDepth), PngEncoder.Header(width, height, Spng.ColorType.Grayscale, (byte)bitDepth), default);

        RgbImage rgb = decoder.DecodeRgb(png);

        // Scaling to 8 bits replicates the bit pattern (PNG 13.12), i.e. v · 255 / (2^d − 1).
        int scale = 255 / ((1 << bitDepth) - 1);
        for (int i = 0; i < values.Pixels.Length; i++)
            Assert.Equal(values.Pixels[i] * scale, rgb.Pixels[3 * i]);
        Assert.Equal(values.Pixels, decoder.DecodeLabels(png).Pixels);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(4, true)]
    [InlineData(8, false)]
    [InlineData(8, true)]
    public void Palette_png_of_any_depth_decodes_to_palette_colours_and_to_indices(int bitDepth, bool interlaced)
    {
        Random random = TestImages.Seeded(8000 + bitDepth, output);
        const int width = 35, height = 13;
        int entries = 1 << bitDepth;
        byte[] palette = new byte[3 * entries];
        random.NextBytes(palette);
        GrayImage indices = TestImages.RandomGray(random, width, height, levels: entries);
        byte[] png = PngEncoder.Encode(Pack(indices, bitDepth), PngEncoder.Header(width, height, Spng.ColorType.Indexed, (byte)bitDepth, interlaced), palette);

        RgbImage rgb = decoder.DecodeRgb(png);

        for (int i = 0; i < indices.Pixels.Length; i++)
        {
            int p = 3 * indices.Pixels[i];
            Assert.Equal((palette[p], palette[p + 1], palette[p + 2]), (rgb.Pixels[3 * i], rgb.Pixels[3 * i + 1], rgb.Pixels[3 * i + 2]));
        }
        Assert.Equal(indices.Pixels, decoder.DecodeLabels(png).Pixels);
    }

    [Fact]
    public void Label_decoding_rejects_an_rgb_png()
    {
        byte[] png = PngEncoder.EncodeRgb(new RgbImage(4, 4));

        var e = Assert.Throws<ImageDecodeException>(() => decoder.DecodeLabels(png));

        Assert.Equal(ImageDecodeFailure.UnsupportedColorSpace, e.Reason);
        output.WriteLine(e.Message);
    }

    [Fact]
    public void Label_decoding_rejects_a_jpeg()
    {
        byte[] jpeg = JpegEncoder.Encode(new RgbImage(8, 8), quality: 90);

        var e = Assert.Throws<ImageDecodeException>(() => decoder.DecodeLabels(jpeg));

        Assert.Equal(ImageDecodeFailure.UnknownFormat, e.Reason);
    }

    [Fact]
    public void Voc_palette_matches_the_published_class_colours()
    {
        Assert.Equal(((byte)0, (byte)0, (byte)0), VocPalette.Color(0));
        Assert.Equal(((byte)128, (byte)0, (byte)0), VocPalette.Color(1));   // aeroplane
        Assert.Equal(((byte)0, (byte)128, (byte)0), VocPalette.Color(2));   // bicycle
        Assert.Equal(((byte)192, (byte)128, (byte)128), VocPalette.Color(15)); // person
        Assert.Equal(((byte)0, (byte)64, (byte)128), VocPalette.Color(20)); // tvmonitor
        Assert.Equal(((byte)224, (byte)224, (byte)192), VocPalette.Color(255)); // ignore / boundary
    }

    /// <summary>Packs samples of 1/2/4/8 bits, most significant first, rows padded to a byte (PNG 7.2).</summary>
    private static byte[] Pack(GrayImage values, int bitDepth)
    {
        int rowBytes = (values.Width * bitDepth + 7) / 8;
        byte[] packed = new byte[rowBytes * values.Height];
        for (int y = 0; y < values.Height; y++)
            for (int x = 0; x < values.Width; x++)
            {
                int bit = x * bitDepth;
                packed[y * rowBytes + bit / 8] |= (byte)(values.Pixels[y * values.Width + x] << (8 - bitDepth - bit % 8));
            }
        return packed;
    }
}
