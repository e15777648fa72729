using WsssOnnx.Attribution.RandomWalk;
using WsssOnnx.Training.Data;

namespace WsssOnnx.Training.Tests.Data;

/// <summary>IRN's pixel-pair labels from confident label maps, counted on hand-made maps.</summary>
public sealed class AffinityLabelsTests
{
    // An 8x8 crop whose 4x4 blocks carry one label each: the stride-4 grid is 2x2 and reads the block values.
    private static long[] Blocks(long topLeft, long topRight, long bottomLeft, long bottomRight)
    {
        var crop = new long[64];
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                crop[y * 8 + x] = (y < 4, x < 4) switch { (true, true) => topLeft, (true, false) => topRight, (false, true) => bottomLeft, _ => bottomRight };
        return crop;
    }

    private static (int Bg, int Fg, int Neg, float[] BgMask, float[] FgMask, float[] NegMask) Run(long[] crop, int radius)
    {
        var paths = AffinityPaths.Of(radius);
        int size = paths.Directions.Count * AffinityLabels.GridSize(8) * AffinityLabels.GridSize(8);
        float[] bg = new float[size], fg = new float[size], neg = new float[size];
        var (b, f, n) = AffinityLabels.Fill(crop, 8, paths, bg, fg, neg);
        return (b, f, n, bg, fg, neg);
    }

    [Fact]
    public void Pairs_are_background_foreground_or_negative_and_unsure_pixels_drop_out()
    {
        // Radius 2: directions (0,1), (1,-1), (1,0), (1,1). Grid [[0, 0], [1, 255]].
        var (bg, fg, neg, bgMask, _, negMask) = Run(Blocks(0, 0, 1, 255), 2);
        Assert.Equal(1, bg);   // (0,0)-(0,1)
        Assert.Equal(0, fg);
        Assert.Equal(2, neg);  // (0,1)-(1,0) and (0,0)-(1,0); every pair with the 255 cell is ignored
        Assert.Equal(bg, (int)bgMask.Sum());
        Assert.Equal(neg, (int)negMask.Sum());
        var order = AffinityPaths.Of(2).Directions.Select(d => (d.Dy, d.Dx)).ToList();
        Assert.Equal(1f, bgMask[order.IndexOf((0, 1)) * 4 + 0]);        // source (0, 0)
        Assert.Equal(1f, negMask[order.IndexOf((1, -1)) * 4 + 1]);      // source (0, 1)
        Assert.Equal(1f, negMask[order.IndexOf((1, 0)) * 4 + 0]);       // source (0, 0)
    }

    [Fact]
    public void One_class_everywhere_gives_only_foreground_pairs_on_the_grid()
    {
        var (bg, fg, neg, _, _, _) = Run(Blocks(3, 3, 3, 3), 2);
        Assert.Equal((0, 6, 0), (bg, fg, neg)); // 2 row pairs, 2 column pairs, 2 diagonals
        var unsure = Run(Blocks(255, 255, 255, 255), 2);
        Assert.Equal((0, 0, 0), (unsure.Bg, unsure.Fg, unsure.Neg));
    }

    [Fact]
    public void A_wrong_crop_or_mask_size_is_refused()
    {
        var paths = AffinityPaths.Of(2);
        Assert.Throws<ArgumentException>(() => AffinityLabels.Fill(new long[63], 8, paths, new float[16], new float[16], new float[16]));
        Assert.Throws<ArgumentException>(() => AffinityLabels.Fill(new long[64], 8, paths, new float[15], new float[16], new float[16]));
    }
}
