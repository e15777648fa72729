using WsssOnnx.Attribution.Evaluation;
using WsssOnnx.Imaging;

namespace WsssOnnx.Attribution.Tests.Evaluation;

public sealed class AddedForegroundTests
{
    private const byte Ignore = ConfusionMatrix.IgnoreLabel;

    [Fact]
    public void Distance_to_objects_is_the_city_block_distance_to_the_nearest_object_pixel()
    {
        // Brute force on a random map with a few objects and ignore pixels (which are not objects).
        var random = new Random(5);
        const int w = 23, h = 17;
        byte[] truth = new byte[w * h];
        for (int i = 0; i < 6; i++) truth[random.Next(truth.Length)] = (byte)random.Next(1, 4);
        for (int i = 0; i < 5; i++) truth[random.Next(truth.Length)] = Ignore;
        int[] d = AddedForeground.DistanceToObjects(new GrayImage(w, h, truth));
        for (int p = 0; p < truth.Length; p++)
        {
            int best = int.MaxValue;
            for (int q = 0; q < truth.Length; q++)
                if (truth[q] is not (0 or Ignore)) best = Math.Min(best, Math.Abs(p % w - q % w) + Math.Abs(p / w - q / w));
            Assert.Equal(best, d[p]);
        }
    }

    [Fact]
    public void Added_pixels_are_counted_by_what_the_ground_truth_says_there()
    {
        // One row of 60 pixels: an object of class 1 at x = 0..9, class 2 at x = 10..11, an ignore pixel at x = 12,
        // background after it. The candidate labels x = 0..59 as class 1 wherever the baseline says background, except
        // x = 5 (baseline already 1) and x = 3 (candidate background where the baseline said 1: dropped correct).
        const int w = 60;
        byte[] truth = new byte[w], baseline = new byte[w], candidate = new byte[w];
        for (int x = 0; x < 10; x++) truth[x] = 1;
        truth[10] = truth[11] = 2;
        truth[12] = Ignore;
        baseline[5] = 1;
        baseline[3] = 1;
        baseline[50] = 2;
        for (int x = 0; x < w; x++) candidate[x] = 1;
        candidate[3] = 0;
        candidate[59] = 0;

        var added = new AddedForeground();
        added.Accumulate(new GrayImage(w, 1, baseline), new GrayImage(w, 1, candidate), new GrayImage(w, 1, truth));

        Assert.Equal(8, added.RightClass);          // x = 0..9 but 3 and 5
        Assert.Equal(2, added.OtherObject);         // x = 10, 11
        Assert.Equal(1, added.Ignored);             // x = 12
        Assert.Equal(15, added.NearBackground);     // x = 13..27: distance 2..16 from x = 11 (x = 12 is ignore, not object)
        Assert.Equal(16, added.MiddleBackground);   // x = 28..43
        Assert.Equal(15, added.FarBackground);      // x = 44..58 (x = 50 counts: the baseline's class 2 differs)
        Assert.Equal(57, added.Total);
        Assert.Equal(1, added.DroppedCorrect);
        Assert.Equal(0, added.DroppedWrong);
        Assert.Contains("57 added: right class 14.0 %", added.Format());
    }

    [Fact]
    public void Maps_of_different_sizes_are_refused()
    {
        var added = new AddedForeground();
        Assert.Throws<ArgumentException>(() => added.Accumulate(new GrayImage(4, 4, new byte[16]), new GrayImage(4, 4, new byte[16]), new GrayImage(4, 3, new byte[12])));
    }
}
