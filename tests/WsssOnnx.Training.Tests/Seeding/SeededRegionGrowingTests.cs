using WsssOnnx.Training.Seeding;

namespace WsssOnnx.Training.Tests.Seeding;

public sealed class SeededRegionGrowingTests
{
    private const long U = SeededRegionGrowing.Unlabelled;

    /// <summary>A 3 x 4 map of (background, class 1, class 2) probabilities, given pixel by pixel, returned class-major.</summary>
    private static float[] ClassMajor((float Bg, float C1, float C2)[] pixels)
    {
        int n = pixels.Length;
        var p = new float[3 * n];
        for (int u = 0; u < n; u++) (p[u], p[n + u], p[2 * n + u]) = pixels[u];
        return p;
    }

    private static readonly (float, float, float)[] Pixels =
    [
        (0.05f, 0.90f, 0.05f), (0.05f, 0.90f, 0.05f), (0.10f, 0.80f, 0.10f), (0.02f, 0.96f, 0.02f),
        (0.10f, 0.88f, 0.02f), (0.995f, 0.004f, 0.001f), (0.30f, 0.70f, 0.00f), (0.992f, 0.008f, 0.00f),
        (0.04f, 0.95f, 0.01f), (0.98f, 0.02f, 0.00f), (0.995f, 0.005f, 0.00f), (0.50f, 0.50f, 0.00f),
    ];

    // Seeds: class 1 at (0, 0), background at (2, 3).
    private static readonly long[] Seeds = [1, U, U, U, U, U, U, U, U, U, U, 0];

    [Fact]
    public void Pixels_above_their_class_threshold_join_8_connected_seed_regions_until_none_joins()
    {
        var grown = SeededRegionGrowing.Grow(ClassMajor(Pixels), Seeds, [true, true, false], 3, 4, backgroundThreshold: 0.99f, foregroundThreshold: 0.85f);
        long[] expected =
        [
            1, 1, U, U,     // (0, 2): 0.80 < θ_fg; (0, 3): 0.96 but not connected to class 1's region
            1, 0, U, 0,     // (1, 1) joins the background diagonally through (2, 2), which joined the seed first
            1, U, 0, 0,     // (2, 0) joins through (1, 0), grown in the round before; (2, 1): 0.98 < θ_bg
        ];
        Assert.Equal(expected, grown);
    }

    [Fact]
    public void Higher_thresholds_let_fewer_pixels_join_and_seeds_never_change()
    {
        var grown = SeededRegionGrowing.Grow(ClassMajor(Pixels), Seeds, [true, true, false], 3, 4, backgroundThreshold: 0.999f, foregroundThreshold: 0.95f);
        // 0.90 and 0.88 are no longer enough next to the class 1 seed, 0.995 and 0.992 next to the background seed; the seeds stay.
        Assert.Equal([1, U, U, U, U, U, U, U, U, U, U, 0], grown);
    }

    [Fact]
    public void Only_the_images_classes_compete_for_a_pixel()
    {
        // Pixel (0, 1) is most likely class 2, absent from the image: among background and class 1, class 1 wins with 0.9.
        var pixels = ((float, float, float)[])Pixels.Clone();
        pixels[1] = (0.05f, 0.90f, 0.95f);
        var p = ClassMajor(pixels);
        Assert.Equal(1, SeededRegionGrowing.Grow(p, Seeds, [true, true, false], 3, 4, 0.99f, 0.85f)[1]);
        Assert.Equal(U, SeededRegionGrowing.Grow(p, Seeds, [true, true, true], 3, 4, 0.99f, 0.85f)[1]);
    }

    [Fact]
    public void Mismatched_sizes_are_refused() =>
        Assert.Throws<ArgumentException>(() => SeededRegionGrowing.Grow(new float[30], Seeds, [true, true, false], 3, 4, 0.99f, 0.85f));
}
