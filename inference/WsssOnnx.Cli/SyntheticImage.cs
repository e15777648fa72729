using WsssOnnx.Imaging;

namespace WsssOnnx.Cli;

/// <summary>Deterministic test images for the benchmarks, so that runs on different days time the same pixels.</summary>
internal static class SyntheticImage
{
    /// <summary>A smooth colour gradient with a bright disc and a dark square: deterministic, and not a constant image.</summary>
    public static RgbImage Shapes(int side)
    {
        var image = new RgbImage(side, side);
        for (int y = 0; y < side; y++)
        {
            for (int x = 0; x < side; x++)
            {
                int i = 3 * (y * side + x);
                double dx = x - side * 0.35, dy = y - side * 0.4;
                bool disc = dx * dx + dy * dy < side * side * 0.04;
                bool square = x > side * 0.55 && x < side * 0.85 && y > side * 0.5 && y < side * 0.8;
                image.Pixels[i] = (byte)(disc ? 230 : square ? 40 : 60 + 120 * x / side);
                image.Pixels[i + 1] = (byte)(disc ? 200 : square ? 50 : 80 + 100 * y / side);
                image.Pixels[i + 2] = (byte)(disc ? 40 : square ? 160 : 140);
            }
        }
        return image;
    }

    /// <summary>
    /// <see cref="Shapes"/> with a fixed pixel noise of ±16 grey levels added, so that a JPEG of it has the
    /// high-frequency content (and the size) of a photograph rather than of a flat drawing.
    /// </summary>
    public static RgbImage Textured(int side)
    {
        var image = Shapes(side);
        for (int i = 0; i < image.Pixels.Length; i++)
        {
            // A 32-bit integer hash of the index (lowbias32): the same noise on every machine and run.
            uint h = (uint)i;
            h ^= h >> 16; h *= 0x7feb352d; h ^= h >> 15; h *= 0x846ca68b; h ^= h >> 16;
            image.Pixels[i] = (byte)Math.Clamp(image.Pixels[i] + (int)(h % 33) - 16, 0, 255);
        }
        return image;
    }
}
