using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Crf;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Tests.Cam;

/// <summary>IRN's confident labels (cam_to_ir_label) on maps whose answer is known by construction.</summary>
public sealed class ConfidentLabelsTests
{
    private const int Band = 30, Height = 24;

    [Fact]
    public void Combine_keeps_foreground_then_agreed_background_and_ignores_the_rest()
    {
        var fg = new GrayImage(5, 1, [2, 0, 0, 3, 0]);
        var bg = new GrayImage(5, 1, [2, 0, 5, 1, 0]);
        Assert.Equal([2, 0, ConfidentLabels.Ignore, 3, 0], ConfidentLabels.Combine(fg, bg).Pixels);
    }

    [Fact]
    public void Bands_of_known_scores_get_class_class_ignore_and_background()
    {
        // Four vertical bands of distinct colours (the appearance kernel keeps them apart), classes 4 and 1 (labels 5 and 2):
        // band 0: class 4 at 0.9 -> 5 in both passes; band 1: class 1 at 0.6, class 4 at 0.2 -> 2;
        // band 2: class 4 at 0.25, between the thresholds 0.15 and 0.35 -> background, then foreground -> 255;
        // band 3: 0.05 everywhere -> 0 in both passes.
        float[][] scores = [[0.9f, 0.2f, 0.25f, 0.05f], [0.1f, 0.6f, 0.05f, 0.05f]];
        byte[][] colours = [[200, 30, 30], [30, 200, 30], [30, 30, 200], [200, 200, 200]];
        int width = 4 * Band;
        var image = new RgbImage(width, Height);
        var full = HostTensor<float>.Zeros(2, Height, width);
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < width; x++)
            {
                int band = x / Band, i = y * width + x;
                for (int c = 0; c < 3; c++) image.Pixels[3 * i + c] = colours[band][c];
                for (int k = 0; k < 2; k++) full.Data[k * Height * width + i] = scores[k][band];
            }
        var maps = new ClassMaps([4, 1], HostTensor<float>.Zeros(2, Height / 4, width / 4), full);

        var labels = ConfidentLabels.FromMaps(image, maps, new DenseCrf(), new ConfidentLabelOptions { ForegroundThreshold = 0.35f, BackgroundThreshold = 0.15f });

        byte[] expected = [5, 2, ConfidentLabels.Ignore, 0];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < width; x++)
                Assert.True(labels.Pixels[y * width + x] == expected[x / Band], $"pixel ({x}, {y}): {labels.Pixels[y * width + x]}, expected {expected[x / Band]}");
    }

    [Theory]
    [InlineData(0.15f, null, null, 0.30f, 0.05f)] // IRN's CAM threshold gives IRN's confident thresholds
    [InlineData(0.06f, null, null, 0.12f, 0.02f)] // peaked (pretrained) maps: both scale down
    [InlineData(0.6f, null, null, 1f, 0.2f)]
    [InlineData(0.15f, 0.5f, null, 0.5f, 0.05f)]  // a given value replaces only its own default
    [InlineData(0.15f, null, 0.1f, 0.30f, 0.1f)]
    public void Thresholds_follow_the_seed_threshold_unless_given(float seed, float? fg, float? bg, float expectedFg, float expectedBg)
    {
        var options = ConfidentLabelOptions.ForSeedThreshold(seed, fg, bg).Validate();
        Assert.Equal(expectedFg, options.ForegroundThreshold, 1e-6f);
        Assert.Equal(expectedBg, options.BackgroundThreshold, 1e-6f);
    }

    [Fact]
    public void Refined_seeds_map_the_compact_crf_labels_back_to_class_labels()
    {
        // One class (index 6, label 7) on the left half: the CRF runs over {background, class 6}, two labels, and the
        // result must carry label 7, not the compact 1.
        var image = new RgbImage(40, 10);
        var full = HostTensor<float>.Zeros(1, 10, 40);
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 40; x++)
            {
                full.Data[y * 40 + x] = x < 20 ? 0.8f : 0f;
                image.Pixels[3 * (y * 40 + x)] = (byte)(x < 20 ? 250 : 0);
            }
        var seeds = ConfidentLabels.RefinedSeeds(image, new ClassMaps([6], HostTensor<float>.Zeros(1, 3, 10), full), 0.15f, new DenseCrf());
        Assert.Equal(Enumerable.Range(0, 400).Select(i => (byte)(i % 40 < 20 ? 7 : 0)), seeds.Pixels);
    }

    [Theory]
    [InlineData(1.5f, 0.1f, nameof(ConfidentLabelOptions.ForegroundThreshold))]
    [InlineData(float.NaN, 0.1f, nameof(ConfidentLabelOptions.ForegroundThreshold))]
    [InlineData(0.3f, 0.4f, nameof(ConfidentLabelOptions.BackgroundThreshold))]
    [InlineData(0.3f, -0.1f, nameof(ConfidentLabelOptions.BackgroundThreshold))]
    public void Invalid_thresholds_name_the_field(float foreground, float background, string field)
    {
        var options = new ConfidentLabelOptions { ForegroundThreshold = foreground, BackgroundThreshold = background };
        Assert.Equal(field, Assert.Throws<ArgumentOutOfRangeException>(() => options.Validate()).ParamName);
    }
}
