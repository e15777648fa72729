using WsssOnnx.Imaging;

namespace WsssOnnx.Training.Loop;

/// <summary>
/// IRN's classifier augmentation: random long-side resize, horizontal flip, colour jitter, normalisation, random
/// crop (padding with 0, i.e. the mean colour after normalisation). Deterministic given the Random it is handed.
/// </summary>
public sealed record Augmentation
{
    /// <summary>Side of the square crop fed to the network.</summary>
    public int CropSize { get; init; } = 128;

    /// <summary>The image's long side is resized to a uniform size in [Min, Max] (IRN: 320..640 for 512 crops).</summary>
    public (int Min, int Max) LongSide { get; init; } = (96, 176);

    public bool Flip { get; init; } = true;

    /// <summary>Brightness, contrast and saturation each scaled by a factor in [1 - j, 1 + j] (0 = off).</summary>
    public float ColourJitter { get; init; } = 0.3f;

    public ImageNormalization Normalization { get; init; } = ImageNormalization.ImageNet;

    /// <summary>
    /// Standard deviation of Gaussian noise added to every value of the normalised crop, padding included (0 = off, and
    /// then no random numbers are drawn, so runs without noise are unchanged). Trains a classifier less sensitive to small
    /// input changes, which AdvCAM's climbing exploits.
    /// </summary>
    public float NoiseSigma { get; init; }

    /// <summary>
    /// Hide-and-Seek (Singh and Lee, ICCV 2017): the crop is cut into a grid of squares of this many pixels and each is set
    /// to the mean colour (0 after normalisation) with probability 1/2, so that the classifier cannot rely on one small
    /// discriminative part (0 = off, and then no random numbers are drawn).
    /// </summary>
    public int HidePatch { get; init; }

    public Augmentation Validate()
    {
        if (CropSize is < 16 or > 4096) throw new ArgumentException($"CropSize must be between 16 and 4096; got {CropSize}", nameof(CropSize));
        if (LongSide.Min < 8 || LongSide.Max < LongSide.Min) throw new ArgumentException($"LongSide must satisfy 8 <= Min <= Max; got ({LongSide.Min}, {LongSide.Max})", nameof(LongSide));
        if (ColourJitter is < 0f or >= 1f) throw new ArgumentException($"ColourJitter must be in [0, 1); got {ColourJitter}", nameof(ColourJitter));
        if (!(NoiseSigma is >= 0f and <= 10f)) throw new ArgumentException($"NoiseSigma must be in [0, 10]; got {NoiseSigma}", nameof(NoiseSigma));
        if (HidePatch < 0 || HidePatch > CropSize) throw new ArgumentException($"HidePatch must be in [0, CropSize]; got {HidePatch}", nameof(HidePatch));
        return this;
    }

    /// <summary>Writes the augmented, normalised crop of <paramref name="image"/> into <paramref name="target"/> (3 x CropSize x CropSize, CHW).</summary>
    public void Apply(RgbImage image, Random rng, Span<float> target) => Apply(image, null, rng, target, default);

    /// <summary>As <see cref="Apply(RgbImage, Random, Span{float})"/>, also cropping the label map the same way into <paramref name="labels"/> (255 outside the image).</summary>
    public void Apply(RgbImage image, GrayImage? mask, Random rng, Span<float> target, Span<long> labels)
    {
        int longSide = rng.Next(LongSide.Min, LongSide.Max + 1);
        double scale = (double)longSide / Math.Max(image.Width, image.Height);
        int w = Math.Max(1, (int)Math.Round(image.Width * scale)), h = Math.Max(1, (int)Math.Round(image.Height * scale));
        var resized = ImageResize.Resize(image, w, h, Interpolation.Bilinear);
        GrayImage? resizedMask = mask is null ? null : NearestResize(mask, w, h);
        if (Flip && rng.Next(2) == 1)
        {
            resized = ImageFlip.FlipHorizontal(resized);
            if (resizedMask is not null) resizedMask = ImageFlip.FlipHorizontal(resizedMask);
        }
        var (brightness, contrast, saturation) = ColourJitter > 0
            ? (1 + Jitter(rng), 1 + Jitter(rng), 1 + Jitter(rng))
            : (1f, 1f, 1f);

        // Crop window: a random placement of the crop inside the image, or of the image inside the crop when smaller.
        int c = CropSize;
        int offX = w > c ? -rng.Next(w - c + 1) : rng.Next(c - w + 1);
        int offY = h > c ? -rng.Next(h - c + 1) : rng.Next(c - h + 1);

        target.Clear();
        if (!labels.IsEmpty) labels.Fill(255);
        var mean = Normalization.Mean;
        var std = Normalization.Std;
        float meanGrey = 0;
        if (contrast != 1f) meanGrey = MeanGrey(resized);
        int plane = c * c;
        for (int y = Math.Max(0, offY); y < Math.Min(c, offY + h); y++)
        {
            var row = resized.Row(y - offY);
            for (int x = Math.Max(0, offX); x < Math.Min(c, offX + w); x++)
            {
                int sx = (x - offX) * 3;
                float r = row[sx], g = row[sx + 1], b = row[sx + 2];
                // torchvision's ColorJitter order: brightness, contrast (towards the mean grey), saturation (towards the pixel's grey).
                r *= brightness; g *= brightness; b *= brightness;
                r = (r - meanGrey * brightness) * contrast + meanGrey * brightness;
                g = (g - meanGrey * brightness) * contrast + meanGrey * brightness;
                b = (b - meanGrey * brightness) * contrast + meanGrey * brightness;
                float grey = 0.299f * r + 0.587f * g + 0.114f * b;
                r = Math.Clamp(grey + (r - grey) * saturation, 0, 255);
                g = Math.Clamp(grey + (g - grey) * saturation, 0, 255);
                b = Math.Clamp(grey + (b - grey) * saturation, 0, 255);
                int i = y * c + x;
                target[i] = (r / 255f - mean.R) / std.R;
                target[plane + i] = (g / 255f - mean.G) / std.G;
                target[2 * plane + i] = (b / 255f - mean.B) / std.B;
                if (resizedMask is not null && !labels.IsEmpty) labels[i] = resizedMask.Pixels[(y - offY) * w + (x - offX)];
            }
        }
        if (HidePatch > 0) HidePatches(target[..(3 * plane)], c, HidePatch, rng);
        if (NoiseSigma > 0) AddGaussianNoise(target[..(3 * plane)], NoiseSigma, rng);
    }

    /// <summary>Hide-and-Seek's hiding: each grid square of <paramref name="patch"/> pixels becomes 0 with probability 1/2.</summary>
    private static void HidePatches(Span<float> crop, int side, int patch, Random rng)
    {
        int plane = side * side;
        for (int top = 0; top < side; top += patch)
        {
            for (int left = 0; left < side; left += patch)
            {
                if (rng.Next(2) == 0) continue;
                for (int ch = 0; ch < 3; ch++)
                {
                    for (int y = top; y < Math.Min(side, top + patch); y++)
                        crop.Slice(ch * plane + y * side + left, Math.Min(patch, side - left)).Clear();
                }
            }
        }
    }

    /// <summary>Adds N(0, sigma²) to every value, two normals per pair of uniforms (Box–Muller).</summary>
    private static void AddGaussianNoise(Span<float> values, float sigma, Random rng)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double radius = sigma * Math.Sqrt(-2.0 * Math.Log(u1));
            values[i] += (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < values.Length) values[i + 1] += (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
    }

    private float Jitter(Random rng) => (float)((rng.NextDouble() * 2 - 1) * ColourJitter);

    private static float MeanGrey(RgbImage image)
    {
        double sum = 0;
        var p = image.Pixels;
        for (int i = 0; i < p.Length; i += 3) sum += 0.299 * p[i] + 0.587 * p[i + 1] + 0.114 * p[i + 2];
        return (float)(sum / (p.Length / 3));
    }

    /// <summary>Nearest-neighbour resize for label maps (labels must not be interpolated).</summary>
    internal static GrayImage NearestResize(GrayImage mask, int width, int height)
    {
        var result = new GrayImage(width, height);
        for (int y = 0; y < height; y++)
        {
            int sy = Math.Min(mask.Height - 1, (int)((y + 0.5) * mask.Height / height));
            for (int x = 0; x < width; x++)
            {
                int sx = Math.Min(mask.Width - 1, (int)((x + 0.5) * mask.Width / width));
                result.Pixels[y * width + x] = mask.Pixels[sy * mask.Width + sx];
            }
        }
        return result;
    }
}
