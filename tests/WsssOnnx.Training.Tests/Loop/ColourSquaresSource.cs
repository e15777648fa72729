using WsssOnnx.Imaging;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Training.Tests.Loop;

/// <summary>
/// A tiny in-memory training set: grey noise images where class k, when present, is a square of colour k.
/// Optionally some samples fail to load, as unreadable files would.
/// </summary>
internal sealed class ColourSquaresSource(int count, int size, int seed, IReadOnlySet<int>? broken = null) : ITrainingSource
{
    private static readonly (byte R, byte G, byte B)[] Colours = [(220, 30, 30), (30, 200, 40), (40, 60, 230)];

    public IReadOnlyList<string> Classes { get; } = ["red", "green", "blue"];

    public int Count => count;

    public string IdOf(int index) => $"squares_{index:D4}";

    public TrainingSample Load(int index, bool withMask = false)
    {
        if (broken?.Contains(index) == true) throw new InvalidDataException($"{IdOf(index)}.jpg: the file is truncated");
        var rng = new Random(seed * 7919 + index);
        var image = new RgbImage(size, size);
        for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (byte)(100 + rng.Next(40));
        var labels = new float[Classes.Count];
        var mask = new GrayImage(size, size);
        for (int c = 0; c < Classes.Count; c++)
        {
            if (rng.NextDouble() < 0.5) continue;
            labels[c] = 1;
            int side = size / 4 + rng.Next(size / 4);
            int x0 = rng.Next(size - side), y0 = rng.Next(size - side);
            for (int y = y0; y < y0 + side; y++)
            {
                for (int x = x0; x < x0 + side; x++)
                {
                    int p = (y * size + x) * 3;
                    (image.Pixels[p], image.Pixels[p + 1], image.Pixels[p + 2]) = Colours[c];
                    mask.Pixels[y * size + x] = (byte)(c + 1);
                }
            }
        }
        return new TrainingSample(IdOf(index), image, labels, withMask ? mask : null);
    }
}
