using WsssOnnx.Imaging.Interop;
using Xunit.Abstractions;

namespace WsssOnnx.Imaging.Tests;

public sealed class JpegCodecTests(ITestOutputHelper output)
{
    private readonly ImageDecoder decoder = new();

    [Theory]
    [InlineData(JpegSubsampling.Yuv444, 1.0, 6)]
    [InlineData(JpegSubsampling.Yuv420, 1.0, 8)]
    public void Smooth_q95_jpeg_decodes_within_the_quantisation_error_bound(JpegSubsampling subsampling, double maxMean, int maxAbsolute)
    {
        // At quality 95 the IJG tables are scaled by 0.1: quantiser steps 1–3 for the frequencies a smooth image
        // (periods ≥ 40 px) holds, so reconstruction is off by about half a step per coefficient, plus ±0.5 level of
        // YCbCr↔RGB rounding; 4:2:0 adds the chroma interpolation error of a slowly varying chroma plane.
        // The 8-bit roundings alone give ≈ 0.5 mean error; libjpeg-turbo 2.1.5 measures 0.68 / max 4 (4:4:4) and
        // 0.71 / max 6 (4:2:0). No independent JPEG decoder is installed (no PIL), so the reference is the source image.
        RgbImage image = TestImages.Smooth(160, 120);
        byte[] jpeg = JpegEncoder.Encode(image, quality: 95, subsampling);

        RgbImage decoded = decoder.DecodeRgb(jpeg);

        (double mean, int max) = TestImages.Error(image.Pixels, decoded.Pixels);
        output.WriteLine($"{subsampling}: {jpeg.Length} bytes, mean |error| {mean:F3}, max |error| {max}");
        Assert.True(mean < maxMean, $"mean absolute error {mean:F3} ≥ {maxMean}");
        Assert.True(max <= maxAbsolute, $"max absolute error {max} > {maxAbsolute}");
    }

    [Theory]
    [InlineData(128, 128, 128)]
    [InlineData(200, 30, 90)]
    public void Solid_colour_jpeg_at_q100_decodes_to_the_colour(byte r, byte g, byte b)
    {
        // Only the DC coefficient is non-zero and its quantiser step is 1 at quality 100, so the only error is
        // the 8-bit YCbCr round trip: at most 1 level per channel.
        RgbImage image = TestImages.Solid(24, 16, r, g, b);

        RgbImage decoded = decoder.DecodeRgb(JpegEncoder.Encode(image, quality: 100, JpegSubsampling.Yuv444));

        (double mean, int max) = TestImages.Error(image.Pixels, decoded.Pixels);
        output.WriteLine($"mean |error| {mean:F3}, max |error| {max}");
        Assert.True(max <= 1, $"max absolute error {max}");
    }

    [Fact]
    public void Greyscale_jpeg_decodes_to_equal_rgb_channels()
    {
        RgbImage smooth = TestImages.Smooth(64, 40);
        byte[] gray = new byte[64 * 40];
        for (int i = 0; i < gray.Length; i++) gray[i] = smooth.Pixels[3 * i];
        byte[] jpeg = JpegEncoder.EncodeGray(new GrayImage(64, 40, gray), 95);

        RgbImage decoded = decoder.DecodeRgb(jpeg);

        for (int i = 0; i < gray.Length; i++)
        {
            Assert.Equal(decoded.Pixels[3 * i], decoded.Pixels[3 * i + 1]);
            Assert.Equal(decoded.Pixels[3 * i], decoded.Pixels[3 * i + 2]);
            Assert.InRange(decoded.Pixels[3 * i] - gray[i], -4, 4);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adobe_cmyk_jpeg_decodes_to_the_rgb_it_was_made_from(bool subsampled)
    {
        // Naive RGB to CMYK: K = 255 - max(R, G, B), C = 255 (255 - R - K) / (255 - K); stored inverted (255 - C, ...),
        // Photoshop's convention, under the Adobe APP14 marker TurboJPEG writes for a YCCK JPEG.
        RgbImage image = TestImages.Smooth(64, 40);
        byte[] inks = new byte[64 * 40 * 4];
        for (int i = 0; i < 64 * 40; i++)
        {
            int k = 255 - Math.Max(image.Pixels[3 * i], Math.Max(image.Pixels[3 * i + 1], image.Pixels[3 * i + 2]));
            for (int c = 0; c < 3; c++)
                inks[4 * i + c] = (byte)(255 - (k == 255 ? 0 : (int)Math.Round(255.0 * (255 - image.Pixels[3 * i + c] - k) / (255 - k))));
            inks[4 * i + 3] = (byte)(255 - k);
        }
        TurboJpeg.Subsampling subsampling = subsampled ? TurboJpeg.Subsampling.Yuv420 : TurboJpeg.Subsampling.Yuv444;
        byte[] jpeg = JpegEncoder.Encode(inks, 64, 40, TurboJpeg.PixelFormat.Cmyk, subsampling, 95);
        Assert.True(JpegStream.Scan(jpeg).AdobeMarker);

        RgbImage decoded = decoder.DecodeRgb(jpeg);

        (double mean, int max) = TestImages.Error(image.Pixels, decoded.Pixels);
        output.WriteLine($"mean |error| {mean:F3}, max |error| {max}");
        Assert.True(mean < 1.5 && max <= 12, $"mean |error| {mean:F3}, max |error| {max}");
    }

    [Fact]
    public void Cmyk_converts_by_the_ink_product_inverted_only_under_adobe_marker()
    {
        // One pixel: C 0, M 51, Y 255, K 102 (0-255 inks). R = (255 - C)(255 - K) / 255 = 153, G = 204 x 153 / 255 = 122.4, B = 0.
        byte[] plain = [0, 51, 255, 102];
        Assert.Equal(new byte[] { 153, 122, 0 }, JpegDecoder.CmykToRgb(plain, 1, 1, inverted: false).Pixels);
        byte[] inverted = [255, 204, 0, 153];
        Assert.Equal(new byte[] { 153, 122, 0 }, JpegDecoder.CmykToRgb(inverted, 1, 1, inverted: true).Pixels);
    }

    [Fact]
    public void Adobe_marker_walk_finds_only_a_whole_adobe_app14_segment()
    {
        Assert.False(JpegStream.Scan(JpegEncoder.Encode(TestImages.Smooth(16, 16), 90)).AdobeMarker);
        byte[] ycck = JpegEncoder.Encode(new byte[16 * 16 * 4], 16, 16, TurboJpeg.PixelFormat.Cmyk, TurboJpeg.Subsampling.Yuv444, 90);
        Assert.True(JpegStream.Scan(ycck).AdobeMarker);
        int app14 = TestImages.FindJpegMarker(ycck, 0xEE);
        Assert.False(JpegStream.Scan(ycck[..(app14 + 4)]).AdobeMarker, "a cut inside the segment");
        byte[] junk = [.. ycck[..app14], 0x12, 0x34, .. ycck[app14..]];
        Assert.True(JpegStream.Scan(junk).AdobeMarker, "junk before the marker is skipped, as libjpeg skips it");
        ycck[app14 + 4] = (byte)'a';
        Assert.False(JpegStream.Scan(ycck).AdobeMarker, "an APP14 segment of someone else");
    }

    [Fact]
    public void Progressive_jpeg_decodes_like_the_baseline_one()
    {
        // Same quantised coefficients, only the entropy coding differs, so the pixels are identical.
        RgbImage image = TestImages.Smooth(80, 56);
        byte[] baseline = JpegEncoder.Encode(image.Pixels, 80, 56, TurboJpeg.PixelFormat.Rgb, TurboJpeg.Subsampling.Yuv420, 90);
        byte[] progressive = JpegEncoder.Encode(image.Pixels, 80, 56, TurboJpeg.PixelFormat.Rgb, TurboJpeg.Subsampling.Yuv420, 90, TurboJpeg.Flags.Progressive);
        Assert.NotEqual(baseline, progressive);

        Assert.Equal(decoder.DecodeRgb(baseline).Pixels, decoder.DecodeRgb(progressive).Pixels);
    }

    [Fact]
    public void Bytes_after_the_end_of_image_marker_are_ignored()
    {
        byte[] jpeg = JpegEncoder.Encode(TestImages.Smooth(32, 32), quality: 90);
        byte[] padded = [.. jpeg, 0, 0, 0, 0x12, 0x34, 0xFF];

        Assert.Equal(decoder.DecodeRgb(jpeg).Pixels, decoder.DecodeRgb(padded).Pixels);
    }

    [Fact]
    public void Extraneous_bytes_before_a_marker_are_tolerated_like_libjpeg()
    {
        // libjpeg warns "Corrupt JPEG data: 3 extraneous bytes before marker 0xd9" and decodes the image; many
        // real-world files have this, so a warning on a complete datastream is accepted.
        byte[] jpeg = JpegEncoder.Encode(TestImages.Smooth(32, 32), quality: 90);
        byte[] withJunk = [.. jpeg.AsSpan(0, jpeg.Length - 2), 0x00, 0x00, 0x00, 0xFF, 0xD9];

        Assert.Equal(decoder.DecodeRgb(jpeg).Pixels, decoder.DecodeRgb(withJunk).Pixels);
    }

    [Fact]
    public void Jpeg_encoder_rejects_quality_outside_1_to_100()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JpegEncoder.Encode(new RgbImage(8, 8), quality: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => JpegEncoder.Encode(new RgbImage(8, 8), quality: 101));
    }
}
