using WsssOnnx.Imaging.Interop;
using Xunit.Abstractions;

namespace WsssOnnx.Imaging.Tests;

public sealed class DecodeErrorTests(ITestOutputHelper output)
{
    private readonly ImageDecoder decoder = new();

    private static readonly byte[] Jpeg = JpegEncoder.Encode(TestImages.Smooth(64, 48), quality: 90);

    private static readonly byte[] Png = PngEncoder.EncodeRgb(TestImages.Smooth(64, 48));

    private ImageDecodeException AssertFails(ImageDecodeFailure reason, byte[] data, ImageDecoder? with = null)
    {
        var e = Assert.Throws<ImageDecodeException>(() => (with ?? decoder).DecodeRgb(data));
        output.WriteLine($"{e.Reason}: {e.Message}");
        Assert.Equal(reason, e.Reason);
        return e;
    }

    [Fact]
    public void Empty_data_is_Empty() => AssertFails(ImageDecodeFailure.Empty, []);

    [Fact]
    public void Random_bytes_are_UnknownFormat()
    {
        Random random = TestImages.Seeded(9001, output);
        byte[] data = new byte[1000];
        random.NextBytes(data);
        data[0] = 0x42;

        AssertFails(ImageDecodeFailure.UnknownFormat, data);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    public void A_cut_inside_the_png_signature_is_Truncated(int length) => AssertFails(ImageDecodeFailure.Truncated, Png[..length]);

    [Theory]
    [InlineData(3)]   // SOI and a lone FF
    [InlineData(20)]  // inside the JFIF APP0 segment
    [InlineData(200)] // inside the quantisation and Huffman tables
    public void Jpeg_cut_inside_its_headers_is_Truncated(int length) => AssertFails(ImageDecodeFailure.Truncated, Jpeg[..length]);

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.95)]
    public void Jpeg_cut_inside_its_image_data_is_Truncated(double keptFraction)
    {
        // libjpeg only warns ("Premature end of JPEG file") and fills the missing rows grey; we refuse the image.
        int sos = TestImages.FindJpegMarker(Jpeg, 0xDA);
        int dataStart = sos + 2 + (Jpeg[sos + 2] << 8 | Jpeg[sos + 3]); // after the SOS segment
        int length = dataStart + (int)((Jpeg.Length - 2 - dataStart) * keptFraction);

        AssertFails(ImageDecodeFailure.Truncated, Jpeg[..length]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Jpeg_missing_only_its_end_marker_is_Truncated(int missing) => AssertFails(ImageDecodeFailure.Truncated, Jpeg[..^missing]);

    [Theory]
    [InlineData(12)] // inside IHDR
    [InlineData(40)] // inside IDAT
    public void Png_cut_at_the_start_is_Truncated(int length) => AssertFails(ImageDecodeFailure.Truncated, Png[..length]);

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.99)]
    public void Png_cut_inside_its_image_data_is_Truncated(double keptFraction)
    {
        int idat = TestImages.FindPngChunk(Png, "IDAT");
        int length = idat + 8 + (int)((Png.Length - 12 - idat - 8) * keptFraction);

        AssertFails(ImageDecodeFailure.Truncated, Png[..length]);
    }

    [Theory]
    [InlineData(12)] // the whole IEND chunk
    [InlineData(5)]  // IEND's CRC and the last byte of its type
    public void Png_missing_its_end_chunk_is_Truncated(int missing) => AssertFails(ImageDecodeFailure.Truncated, Png[..^missing]);

    [Fact]
    public void Png_missing_only_the_iend_crc_still_decodes()
    {
        // libspng 0.7.3 reads the IEND header and stops; the CRC of the empty IEND chunk is never read. Every pixel
        // is present and checked (IDAT CRCs, zlib Adler-32), so we accept it rather than re-parse the chunk list.
        Assert.Equal(64, decoder.DecodeRgb(Png[..^4]).Width);
    }

    [Theory]
    [InlineData("IHDR", -1)] // last CRC byte
    [InlineData("IDAT", -1)]
    [InlineData("IDAT", 20)] // a data byte, so the stored CRC no longer matches
    public void Png_with_a_bad_crc_is_Corrupt(string chunk, int offset)
    {
        byte[] png = (byte[])Png.Clone();
        int at = TestImages.FindPngChunk(png, chunk);
        int length = (png[at] << 24) | (png[at + 1] << 16) | (png[at + 2] << 8) | png[at + 3];
        png[offset < 0 ? at + 12 + length + offset : at + 8 + offset] ^= 0x5A;

        AssertFails(ImageDecodeFailure.Corrupt, png);
    }

    [Fact]
    public void Png_with_a_broken_zlib_stream_is_Corrupt()
    {
        byte[] png = (byte[])Png.Clone();
        int at = TestImages.FindPngChunk(png, "IDAT");
        png[at + 8] = 0x00; // zlib CMF byte: compression method 0 is invalid
        TestImages.FixPngCrc(png, at);

        AssertFails(ImageDecodeFailure.Corrupt, png);
    }

    [Fact]
    public void Jpeg_with_an_invalid_header_field_is_Corrupt()
    {
        byte[] jpeg = (byte[])Jpeg.Clone();
        jpeg[TestImages.FindJpegMarker(jpeg, 0xC0) + 4] = 13; // SOF0 sample precision must be 8

        AssertFails(ImageDecodeFailure.Corrupt, jpeg);
    }

    [Fact]
    public void Jpeg_of_garbage_after_the_signature_is_Corrupt()
    {
        Random random = TestImages.Seeded(9002, output);
        byte[] data = new byte[4000];
        random.NextBytes(data);
        (data[0], data[1], data[2], data[3]) = (0xFF, 0xD8, 0xFF, 0x47);

        // FF 47 is a reserved marker code: garbage, not a cut-off file.
        AssertFails(ImageDecodeFailure.Corrupt, data);
    }

    [Fact]
    public void Jpeg_header_claiming_a_huge_image_is_TooLarge_before_any_pixel_buffer_is_allocated()
    {
        byte[] jpeg = (byte[])Jpeg.Clone();
        int sof = TestImages.FindJpegMarker(jpeg, 0xC0);
        (jpeg[sof + 5], jpeg[sof + 6], jpeg[sof + 7], jpeg[sof + 8]) = (0xEA, 0x60, 0xEA, 0x60); // 60000 x 60000

        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertFails(ImageDecodeFailure.TooLarge, jpeg);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData(100_000, 100_000)] // over libspng's own width/height limit, set from ImageLimits
    [InlineData(8000, 8000)]       // within 8192 x 8192 but 64 megapixels, over MaxPixels
    public void Png_header_claiming_a_huge_image_is_TooLarge_before_any_pixel_buffer_is_allocated(int width, int height)
    {
        byte[] png = (byte[])Png.Clone();
        int ihdr = TestImages.FindPngChunk(png, "IHDR");
        BitConverterBigEndian(width).CopyTo(png, ihdr + 8);
        BitConverterBigEndian(height).CopyTo(png, ihdr + 12);
        TestImages.FixPngCrc(png, ihdr);

        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertFails(ImageDecodeFailure.TooLarge, png);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Images_over_a_configured_limit_are_TooLarge()
    {
        var small = new ImageDecoder(new ImageLimits { MaxPixels = 64 * 48 - 1 });
        var narrow = new ImageDecoder(new ImageLimits { MaxWidth = 63 });
        var short_ = new ImageDecoder(new ImageLimits { MaxHeight = 47 });

        foreach (ImageDecoder limited in new[] { small, narrow, short_ })
        {
            AssertFails(ImageDecodeFailure.TooLarge, Jpeg, limited);
            AssertFails(ImageDecodeFailure.TooLarge, Png, limited);
        }
        var exact = new ImageDecoder(new ImageLimits { MaxWidth = 64, MaxHeight = 48, MaxPixels = 64 * 48 });
        Assert.Equal(64, exact.DecodeRgb(Jpeg).Width);
        Assert.Equal(64, exact.DecodeRgb(Png).Width);
    }

    [Fact]
    public void Invalid_limits_are_rejected_naming_the_field_and_range()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ImageDecoder(new ImageLimits { MaxPixels = 0 }));
        Assert.Contains("ImageLimits.MaxPixels must be in [1, ", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new ImageDecoder(new ImageLimits { MaxWidth = -1 }));
        Assert.Contains("ImageLimits.MaxWidth", e.Message);
    }

    [Fact]
    public void Randomly_damaged_files_decode_or_fail_with_a_typed_error()
    {
        // Fuzzing in miniature: flipped bytes and cuts anywhere must never crash, hang or throw anything untyped.
        Random random = TestImages.Seeded(9004, output);
        var limited = new ImageDecoder(new ImageLimits { MaxWidth = 1024, MaxHeight = 1024, MaxPixels = 1 << 20 });
        byte[] progressive = JpegEncoder.Encode(TestImages.Smooth(64, 48).Pixels, 64, 48, TurboJpeg.PixelFormat.Rgb, TurboJpeg.Subsampling.Yuv420, 90, TurboJpeg.Flags.Progressive);
        var counts = new Dictionary<string, int>();
        foreach (byte[] original in new[] { Jpeg, progressive, Png, PngEncoder.EncodeVocLabels(new GrayImage(40, 30)) })
        {
            for (int trial = 0; trial < 300; trial++)
            {
                byte[] data = (byte[])original.Clone();
                int flips = random.Next(1, 5);
                for (int f = 0; f < flips; f++)
                    data[random.Next(data.Length)] = (byte)random.Next(256);
                if (random.Next(4) == 0)
                    data = data[..random.Next(1, data.Length)];
                string outcome;
                try
                {
                    limited.DecodeRgb(data);
                    outcome = "decoded";
                }
                catch (ImageDecodeException e)
                {
                    outcome = e.Reason.ToString();
                }
                counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            }
        }
        output.WriteLine(string.Join(", ", counts.Select(kv => $"{kv.Key}: {kv.Value}")));
    }

    private static byte[] BitConverterBigEndian(int value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];
}
