using WsssOnnx.Imaging;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Training.Tests.Loop;

public sealed class AugmentationTests
{
    private static RgbImage Gradient(int width, int height)
    {
        var image = new RgbImage(width, height);
        for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (byte)(i * 7 % 251);
        return image;
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(0.1f)]
    public void Noise_is_added_after_the_same_crop_with_mean_zero_and_the_given_deviation(float sigma)
    {
        var image = Gradient(60, 40);
        var plain = new Augmentation { CropSize = 48, LongSide = (40, 64) };
        var noisy = plain with { NoiseSigma = sigma };
        var clean = new float[3 * 48 * 48];
        var withNoise = new float[clean.Length];
        plain.Apply(image, new Random(11), clean);
        noisy.Apply(image, new Random(11), withNoise);

        // Same random crop, flip and jitter (noise is drawn last), so the difference is the noise alone.
        double sum = 0, squares = 0;
        for (int i = 0; i < clean.Length; i++)
        {
            double d = withNoise[i] - clean[i];
            sum += d;
            squares += d * d;
        }
        double mean = sum / clean.Length, deviation = Math.Sqrt(squares / clean.Length - mean * mean);
        Assert.InRange(mean, -0.05 * sigma, 0.05 * sigma);
        Assert.InRange(deviation, 0.97 * sigma, 1.03 * sigma);
    }

    [Fact]
    public void Noise_costs_one_uniform_per_value_and_none_when_off()
    {
        var image = Gradient(60, 40);
        var augmentation = new Augmentation { CropSize = 48, LongSide = (40, 64) };
        var plain = new CountingRandom(5);
        var noisy = new CountingRandom(5);
        augmentation.Apply(image, plain, new float[3 * 48 * 48]);
        (augmentation with { NoiseSigma = 0.3f }).Apply(image, noisy, new float[3 * 48 * 48]);
        // Runs without noise keep their random sequence (and so their crops) from before the option existed.
        Assert.Equal(3 * 48 * 48, noisy.Draws - plain.Draws);
    }

    /// <summary>Counts the draws the augmentation makes.</summary>
    private sealed class CountingRandom(int seed) : Random(seed)
    {
        public int Draws { get; private set; }

        public override int Next(int minValue, int maxValue)
        {
            Draws++;
            return base.Next(minValue, maxValue);
        }

        public override int Next(int maxValue)
        {
            Draws++;
            return base.Next(maxValue);
        }

        public override double NextDouble()
        {
            Draws++;
            return base.NextDouble();
        }
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    [InlineData(11f)]
    public void A_noise_deviation_out_of_range_names_the_field(float sigma)
    {
        var error = Assert.Throws<ArgumentException>(() => new Augmentation { NoiseSigma = sigma }.Validate());
        Assert.Equal("NoiseSigma", error.ParamName);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(20)]
    public void Hide_and_seek_zeroes_whole_grid_squares_about_half_of_the_time_and_leaves_the_rest(int patch)
    {
        var image = Gradient(60, 40);
        var plain = new Augmentation { CropSize = 48, LongSide = (48, 64), ColourJitter = 0f };
        int squaresPerSide = (48 + patch - 1) / patch, hidden = 0, squares = 0;
        for (int seed = 0; seed < 40; seed++)
        {
            var clean = new float[3 * 48 * 48];
            var hiding = new float[clean.Length];
            plain.Apply(image, new Random(seed), clean);
            (plain with { HidePatch = patch }).Apply(image, new Random(seed), hiding);
            for (int sy = 0; sy < squaresPerSide; sy++)
            {
                for (int sx = 0; sx < squaresPerSide; sx++)
                {
                    // A square is either all zeros in every channel or the plain crop's values (the crop is drawn first).
                    bool allZero = true, allSame = true;
                    for (int ch = 0; ch < 3; ch++)
                        for (int y = sy * patch; y < Math.Min(48, (sy + 1) * patch); y++)
                            for (int x = sx * patch; x < Math.Min(48, (sx + 1) * patch); x++)
                            {
                                int i = ch * 48 * 48 + y * 48 + x;
                                allZero &= hiding[i] == 0f;
                                allSame &= hiding[i] == clean[i];
                            }
                    Assert.True(allZero || allSame, $"seed {seed}: square ({sx}, {sy}) is partly hidden");
                    if (!allSame) hidden++;
                    squares++;
                }
            }
        }
        Assert.InRange(hidden / (double)squares, 0.4, 0.6);
    }

    [Fact]
    public void Hide_and_seek_draws_one_number_per_square_and_none_when_off()
    {
        var image = Gradient(60, 40);
        var augmentation = new Augmentation { CropSize = 48, LongSide = (40, 64) };
        var plain = new CountingRandom(5);
        var hiding = new CountingRandom(5);
        augmentation.Apply(image, plain, new float[3 * 48 * 48]);
        (augmentation with { HidePatch = 16 }).Apply(image, hiding, new float[3 * 48 * 48]);
        Assert.Equal(9, hiding.Draws - plain.Draws);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(49)]
    public void A_hiding_square_outside_zero_to_the_crop_names_the_field(int patch)
    {
        var error = Assert.Throws<ArgumentException>(() => new Augmentation { CropSize = 48, HidePatch = patch }.Validate());
        Assert.Equal("HidePatch", error.ParamName);
    }
}
