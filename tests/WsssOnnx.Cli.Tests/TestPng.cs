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
