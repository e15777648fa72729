using Xunit.Abstractions;

namespace WsssOnnx.Imaging.Tests;

/// <summary>Synthetic images and byte-level helpers shared by the tests.</summary>
internal static class TestImages
{
    /// <summary>A seeded generator; the seed is written to the test output, which xunit shows when the test fails.</summary>
    public static Random Seeded(int seed, ITestOutputHelper output)
    {
        output.WriteLine($"random seed: {seed}");
        return new Random(seed);
    }

    public static RgbImage RandomRgb(Random random, int width, int height)
    {
        var image = new RgbImage(width, height);
        random.NextBytes(image.Pixels);
        return image;
    }

    public static GrayImage RandomGray(Random random, int width, int height, int levels = 256)
    {
        var image = new GrayImage(width, height);
        for (int i = 0; i < image.Pixels.Length; i++)
            image.Pixels[i] = (byte)random.Next(levels);
        return image;
    }

    /// <summary>A smooth image (gradients plus low-frequency waves, periods ≥ 40 px) with every channel well inside 0–255.</summary>
    public static RgbImage Smooth(int width, int height)
    {
        var image = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double u = (double)x / width, v = (double)y / height;
                int i = 3 * (y * width + x);
                image.Pixels[i] = (byte)Math.Round(40 + 170 * u + 20 * Math.Sin(2 * Math.PI * y / 64.0));
                image.Pixels[i + 1] = (byte)Math.Round(60 + 140 * v + 20 * Math.Cos(2 * Math.PI * x / 48.0));
                image.Pixels[i + 2] = (byte)Math.Round(128 + 80 * Math.Sin(2 * Math.PI * (x + y) / 160.0));
            }
        return image;
    }

    public static RgbImage Solid(int width, int height, byte r, byte g, byte b)
    {
        var image = new RgbImage(width, height);
        for (int i = 0; i < image.Pixels.Length; i += 3)
            (image.Pixels[i], image.Pixels[i + 1], image.Pixels[i + 2]) = (r, g, b);
        return image;
    }

    /// <summary>Offset of the first PNG chunk of <paramref name="type"/> (at its 4-byte length field).</summary>
    public static int FindPngChunk(byte[] png, string type)
    {
        for (int p = 8; p + 8 <= png.Length;)
        {
            int length = (png[p] << 24) | (png[p + 1] << 16) | (png[p + 2] << 8) | png[p + 3];
            if (System.Text.Encoding.ASCII.GetString(png, p + 4, 4) == type) return p;
            p += 12 + length;
        }
        throw new InvalidOperationException($"no {type} chunk");
    }

    /// <summary>Rewrites the CRC of the chunk at <paramref name="offset"/> to match its type and data.</summary>
    public static void FixPngCrc(byte[] png, int offset)
    {
        int length = (png[offset] << 24) | (png[offset + 1] << 16) | (png[offset + 2] << 8) | png[offset + 3];
        uint crc = Crc32(png.AsSpan(offset + 4, 4 + length));
        int at = offset + 8 + length;
        (png[at], png[at + 1], png[at + 2], png[at + 3]) = ((byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc);
    }

    /// <summary>CRC-32 as PNG defines it (ISO 3309 polynomial 0xEDB88320, reflected, inverted).</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>Offset of the first JPEG marker FF <paramref name="marker"/> (at its FF byte).</summary>
    public static int FindJpegMarker(byte[] jpeg, byte marker)
    {
        for (int p = 0; p + 1 < jpeg.Length; p++)
            if (jpeg[p] == 0xFF && jpeg[p + 1] == marker) return p;
        throw new InvalidOperationException($"no FF {marker:X2} marker");
    }

    public static (double MeanAbsolute, int MaxAbsolute) Error(byte[] expected, byte[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        long sum = 0;
        int max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            int d = Math.Abs(expected[i] - actual[i]);
            sum += d;
            max = Math.Max(max, d);
        }
        return ((double)sum / expected.Length, max);
    }
}
