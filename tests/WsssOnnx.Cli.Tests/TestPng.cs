using System.IO.Compression;
using System.Text;

namespace WsssOnnx.Cli.Tests;

/// <summary>Minimal PNG files for bad-input tests (the test project does not load the imaging library) and a completeness check.</summary>
internal static class TestPng
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>An 8-bit RGB PNG of one grey level: signature, IHDR, one zlib IDAT (filter 0 per row), IEND.</summary>
    public static byte[] Rgb(int width, int height, byte level = 128)
    {
        var header = new byte[13];
        WriteBigEndian(header, 0, width);
        WriteBigEndian(header, 4, height);
        header[8] = 8;   // bit depth
        header[9] = 2;   // colour type RGB
        var raw = new byte[height * (1 + 3 * width)];
        for (int y = 0; y < height; y++) Array.Fill(raw, level, y * (1 + 3 * width) + 1, 3 * width);
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        using var file = new MemoryStream();
        file.Write(Signature);
        Chunk(file, "IHDR", header);
        Chunk(file, "IDAT", compressed.ToArray());
        Chunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>Whether <paramref name="bytes"/> start with the PNG signature and end with the IEND chunk: a file written to the end.</summary>
    /// <summary>
    /// The pixels of an 8-bit, one-sample-per-pixel PNG (grey or palette, as label maps are written): IDAT inflated
    /// and each row's filter undone (PNG spec 9.2: None, Sub, Up, Average, Paeth; one byte per pixel).
    /// </summary>
    public static (int Width, int Height, byte[] Pixels) OneChannelPixels(byte[] png)
    {
        int width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16));
        int height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20));
        Assert.True(png[24] == 8 && png[25] is 0 or 3, "an 8-bit grey or palette PNG");
        using var idat = new MemoryStream();
        for (int at = 8; at < png.Length;)
        {
            int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            if (System.Text.Encoding.ASCII.GetString(png, at + 4, 4) == "IDAT") idat.Write(png, at + 8, length);
            at += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(idat, System.IO.Compression.CompressionMode.Decompress)) z.CopyTo(inflated);
        byte[] raw = inflated.ToArray();
        var pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (width + 1)];
            for (int x = 0; x < width; x++)
            {
                int left = x > 0 ? pixels[y * width + x - 1] : 0, up = y > 0 ? pixels[(y - 1) * width + x] : 0;
                int upLeft = x > 0 && y > 0 ? pixels[(y - 1) * width + x - 1] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    _ => Paeth(left, up, upLeft),
                };
                pixels[y * width + x] = (byte)(raw[y * (width + 1) + 1 + x] + predictor);
            }
        }
        return (width, height, pixels);

        static int Paeth(int a, int b, int c)
        {
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
    }

    public static bool IsComplete(byte[] bytes) =>
        bytes.Length > 20 && bytes.AsSpan(0, 8).SequenceEqual(Signature) && bytes.AsSpan(bytes.Length - 12).SequenceEqual(IendChunk);

    private static readonly byte[] IendChunk = [0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82];

    private static void Chunk(Stream file, string type, byte[] data)
    {
        var length = new byte[4];
        WriteBigEndian(length, 0, data.Length);
        file.Write(length);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        file.Write(typed);
        var crc = new byte[4];
        WriteBigEndian(crc, 0, (int)Crc32(typed));
        file.Write(crc);
    }

    // CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected) over chunk type and data, as the PNG spec defines.
    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    private static void WriteBigEndian(byte[] target, int offset, int value) => System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(target.AsSpan(offset), value);
}
