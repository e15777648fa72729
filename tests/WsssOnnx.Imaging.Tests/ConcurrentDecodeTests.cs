using Xunit.Abstractions;

namespace WsssOnnx.Imaging.Tests;

public sealed class ConcurrentDecodeTests(ITestOutputHelper output)
{
    [Fact]
    public void Concurrent_decodes_from_many_threads_match_sequential_decodes()
    {
        // Each decode owns its native decoder, and TurboJPEG's error text is thread-local, so results and error
        // messages must not bleed between threads. Good and bad inputs are interleaved on purpose.
        Random random = TestImages.Seeded(11001, output);
        var decoder = new ImageDecoder();
        var inputs = new List<byte[]>();
        for (int i = 0; i < 16; i++)
        {
            RgbImage image = TestImages.RandomRgb(random, 16 + random.Next(80), 16 + random.Next(80));
            byte[] jpeg = JpegEncoder.Encode(image, quality: 60 + i, i % 2 == 0 ? JpegSubsampling.Yuv420 : JpegSubsampling.Yuv444);
            byte[] png = i % 4 == 0 ? PngEncoder.EncodeVocLabels(TestImages.RandomGray(random, image.Width, image.Height)) : PngEncoder.EncodeRgb(image);
            inputs.Add(jpeg);
            inputs.Add(png);
            inputs.Add(jpeg[..(jpeg.Length * 2 / 3)]);
            inputs.Add(png[..(png.Length / 2)]);
        }
        string[] expected = inputs.Select(data => Outcome(decoder, data)).ToArray();

        string[] actual = new string[inputs.Count * 8];
        Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i => actual[i] = Outcome(decoder, inputs[i % inputs.Count]));

        for (int i = 0; i < actual.Length; i++)
            Assert.Equal(expected[i % inputs.Count], actual[i]);
    }

    /// <summary>The decoded pixels' hash, or the failure reason and message.</summary>
    private static string Outcome(ImageDecoder decoder, byte[] data)
    {
        try
        {
            RgbImage image = decoder.DecodeRgb(data);
            return $"{image.Width}x{image.Height} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(image.Pixels))}";
        }
        catch (ImageDecodeException e)
        {
            return $"{e.Reason}: {e.Message}";
        }
    }
}
