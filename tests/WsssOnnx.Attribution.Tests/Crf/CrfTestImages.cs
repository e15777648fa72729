using WsssOnnx.Imaging;
using Xunit.Abstractions;

namespace WsssOnnx.Attribution.Tests.Crf;

/// <summary>Seeded synthetic images and label maps for the CRF tests.</summary>
internal static class CrfTestImages
{
    /// <summary>A generator with a fixed seed, printed so a failure can be replayed.</summary>
    public static Random Seeded(int seed, ITestOutputHelper output)
    {
        output.WriteLine($"seed {seed}");
        return new Random(seed);
    }

    /// <summary>
    /// A piecewise-constant image: <paramref name="regions"/> Voronoi cells of random colours, plus uniform noise of
    /// ±<paramref name="noise"/> per channel. Returns the image and each pixel's cell index.
    /// </summary>
    public static (RgbImage Image, int[] Cell) Regions(Random random, int width, int height, int regions, int noise)
    {
        var seeds = new (double X, double Y, byte[] Colour)[regions];
        for (int r = 0; r < regions; r++)
            seeds[r] = (random.NextDouble() * width, random.NextDouble() * height,
                [(byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)]);

        var image = new RgbImage(width, height);
        var cell = new int[width * height];
        for (int y = 0, i = 0; y < height; y++)
            for (int x = 0; x < width; x++, i++)
            {
                int best = 0;
                double bestDistance = double.MaxValue;
                for (int r = 0; r < regions; r++)
                {
                    double dx = x - seeds[r].X, dy = y - seeds[r].Y, distance = dx * dx + dy * dy;
                    if (distance < bestDistance) (best, bestDistance) = (r, distance);
                }
                cell[i] = best;
                for (int c = 0; c < 3; c++)
                    image.Pixels[3 * i + c] = (byte)Math.Clamp(seeds[best].Colour[c] + random.Next(-noise, noise + 1), 0, 255);
            }
        return (image, cell);
    }

    /// <summary>Labels = cell index mod <paramref name="labelCount"/>, each pixel replaced by a random label with probability <paramref name="flip"/>.</summary>
    public static GrayImage NoisyLabels(Random random, int width, int height, int[] cell, int labelCount, double flip)
    {
        var labels = new GrayImage(width, height);
        for (int i = 0; i < cell.Length; i++)
            labels.Pixels[i] = (byte)(random.NextDouble() < flip ? random.Next(labelCount) : cell[i] % labelCount);
        return labels;
    }
}
