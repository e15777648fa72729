using WsssOnnx.Attribution.Evaluation;
using WsssOnnx.Imaging;
using Xunit.Abstractions;

namespace WsssOnnx.Attribution.Tests.Evaluation;

public sealed class ConfusionMatrixTests(ITestOutputHelper output)
{
    private const byte Ignore = ConfusionMatrix.IgnoreLabel;

    [Fact]
    public void Iou_matches_a_hand_computed_example()
    {
        // Pairs (truth, prediction), the last pixel ignored: (0,0) (0,1) (1,1) (1,1) (2,0) (255,2).
        // Class 0: TP 1, GT 2, P 2 → 1/3.  Class 1: TP 2, GT 2, P 3 → 2/3.  Class 2: TP 0, GT 1, P 0 → 0.
        var matrix = new ConfusionMatrix(3);

        matrix.Accumulate(prediction: [0, 1, 1, 1, 0, 2], groundTruth: [0, 0, 1, 1, 2, Ignore]);

        Assert.Equal(5, matrix.CountedPixels);
        Assert.Equal(1, matrix.IgnoredPixels);
        Assert.Equal(1, matrix[0, 1]);
        Assert.Equal(1.0 / 3, matrix.IntersectionOverUnion(0), 12);
        Assert.Equal(2.0 / 3, matrix.IntersectionOverUnion(1), 12);
        Assert.Equal(0.0, matrix.IntersectionOverUnion(2), 12);
        Assert.Equal((1.0 / 3 + 2.0 / 3 + 0) / 3, matrix.MeanIntersectionOverUnion, 12);
        Assert.Equal(3.0 / 5, matrix.PixelAccuracy, 12);
    }

    [Fact]
    public void Ignored_ground_truth_counts_for_nothing_whatever_was_predicted()
    {
        var matrix = new ConfusionMatrix(2);

        matrix.Accumulate(prediction: [0, 1, 1, Ignore], groundTruth: [Ignore, Ignore, 1, Ignore]);

        Assert.Equal(1, matrix.CountedPixels);
        Assert.Equal(3, matrix.IgnoredPixels);
        Assert.Equal(0, matrix.PredictedPixels(0));
        Assert.True(double.IsNaN(matrix.IntersectionOverUnion(0)));
        Assert.Equal(1.0, matrix.IntersectionOverUnion(1));
        Assert.Equal(1.0, matrix.MeanIntersectionOverUnion);
    }

    [Fact]
    public void An_unsure_prediction_is_a_miss_for_the_true_class_and_a_hit_for_none()
    {
        // chainercv would make "class 255" of it and average its IoU of 0 into the mean; here it only lowers recall.
        var matrix = new ConfusionMatrix(2);

        matrix.Accumulate(prediction: [0, Ignore, 1, 1], groundTruth: [0, 0, 1, 1]);

        Assert.Equal(1, matrix.UnpredictedPixels(0));
        Assert.Equal(2, matrix.GroundTruthPixels(0));
        Assert.Equal(0.5, matrix.IntersectionOverUnion(0));
        Assert.Equal(1.0, matrix.IntersectionOverUnion(1));
        Assert.Equal(0.75, matrix.MeanIntersectionOverUnion);
        Assert.Equal(0.75, matrix.PixelAccuracy);
    }

    [Fact]
    public void Classes_absent_from_truth_and_prediction_are_nan_and_left_out_of_the_mean()
    {
        var matrix = new ConfusionMatrix(21);

        // Background and class 15 in the truth; class 7 only predicted (a false positive: IoU 0, counted in the mean).
        matrix.Accumulate(prediction: [0, 0, 15, 7], groundTruth: [0, 15, 15, 0]);

        double[] iou = matrix.PerClassIntersectionOverUnion();
        Assert.Equal(1.0 / 3, iou[0], 12);    // TP 1, GT 2, P 2
        Assert.Equal(0.5, iou[15], 12);       // TP 1, GT 2, P 1
        Assert.Equal(0.0, iou[7]);
        Assert.Equal(18, iou.Count(double.IsNaN));
        Assert.Equal((1.0 / 3 + 0.5 + 0) / 3, matrix.MeanIntersectionOverUnion, 12);
    }

    [Fact]
    public void Empty_matrix_scores_are_nan()
    {
        var matrix = new ConfusionMatrix(3);

        Assert.True(double.IsNaN(matrix.MeanIntersectionOverUnion));
        Assert.True(double.IsNaN(matrix.PixelAccuracy));
    }

    [Fact]
    public void Merging_per_worker_matrices_equals_accumulating_everything_in_one()
    {
        const int classes = 6, images = 12, pixels = 300;
        int seed = 9801;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var all = new ConfusionMatrix(classes);
        var workers = new[] { new ConfusionMatrix(classes), new ConfusionMatrix(classes), new ConfusionMatrix(classes) };
        for (int k = 0; k < images; k++)
        {
            var truth = new byte[pixels];
            var prediction = new byte[pixels];
            for (int i = 0; i < pixels; i++)
            {
                truth[i] = random.NextDouble() < 0.1 ? Ignore : (byte)random.Next(classes);
                prediction[i] = random.NextDouble() < 0.7 && truth[i] != Ignore ? truth[i] : (byte)random.Next(classes);
            }
            all.Accumulate(prediction, truth);
            workers[k % workers.Length].Accumulate(prediction, truth);
        }

        var merged = new ConfusionMatrix(classes);
        foreach (ConfusionMatrix worker in workers) merged.Merge(worker);

        for (int t = 0; t < classes; t++)
            for (int p = 0; p < classes; p++)
                Assert.Equal(all[t, p], merged[t, p]);
        Assert.Equal(all.CountedPixels, merged.CountedPixels);
        Assert.Equal(all.IgnoredPixels, merged.IgnoredPixels);
        Assert.Equal(all.MeanIntersectionOverUnion, merged.MeanIntersectionOverUnion);
        Assert.Equal(all.PixelAccuracy, merged.PixelAccuracy);
    }

    [Fact]
    public void Bad_labels_are_rejected_and_leave_the_matrix_unchanged()
    {
        var matrix = new ConfusionMatrix(3);
        matrix.Accumulate(prediction: [0, 1], groundTruth: [0, 1]);

        Assert.Contains("ground-truth label 3 at pixel 1", Assert.Throws<ArgumentException>(() => matrix.Accumulate([0, 0], [0, 3])).Message);
        Assert.Contains("predicted label 9 at pixel 0", Assert.Throws<ArgumentException>(() => matrix.Accumulate([9, 0], [0, 0])).Message);
        Assert.Throws<ArgumentException>(() => matrix.Accumulate([0, 0, 0], [0, 0]));
        Assert.Throws<ArgumentException>(() => matrix.Accumulate(new GrayImage(2, 1), new GrayImage(1, 2)));
        Assert.Throws<ArgumentException>(() => matrix.Merge(new ConfusionMatrix(4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConfusionMatrix(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConfusionMatrix(256));

        Assert.Equal(2, matrix.CountedPixels);
        Assert.Equal(1.0, matrix.PixelAccuracy);
    }

    [Fact]
    public void Precision_and_recall_count_ignored_predictions_as_misses_and_skip_undefined_classes()
    {
        var matrix = new ConfusionMatrix(4);
        matrix.Accumulate(prediction: [0, 0, 1, 2, 1, 1, 0, 2, 255, 0], groundTruth: [0, 0, 0, 0, 1, 1, 1, 2, 2, 3]);

        Assert.Equal(0.5, matrix.Precision(0), 12);        // TP 2 of 4 predicted
        Assert.Equal(0.5, matrix.Recall(0), 12);           // TP 2 of 4 true
        Assert.Equal(2.0 / 3, matrix.Precision(1), 12);
        Assert.Equal(2.0 / 3, matrix.Recall(1), 12);
        Assert.Equal(0.5, matrix.Precision(2), 12);
        Assert.Equal(0.5, matrix.Recall(2), 12);           // the pixel predicted 255 is a miss
        Assert.True(double.IsNaN(matrix.Precision(3)));    // never predicted
        Assert.Equal(0.0, matrix.Recall(3));
        Assert.Equal((2.0 / 3 + 0.5) / 2, matrix.MeanForegroundPrecision, 12);
        Assert.Equal((2.0 / 3 + 0.5 + 0) / 3, matrix.MeanForegroundRecall, 12);

        string table = matrix.ToTable();
        output.WriteLine(table);
        Assert.Contains("foreground classes: mean precision 58.33 %, mean recall 38.89 %", table);
        Assert.Matches(@"(?m)^3\s+0\.00\s+-\s+0\.00\s+1\s+0$", table);
        Assert.True(double.IsNaN(new ConfusionMatrix(2).MeanForegroundRecall));
    }

    [Fact]
    public void Table_lists_every_class_and_the_summary()
    {
        var matrix = new ConfusionMatrix(3);
        matrix.Accumulate(new GrayImage(3, 1, [0, 1, 1]), new GrayImage(3, 1, [0, 1, 0]));

        string table = matrix.ToTable(["background", "aeroplane", "bicycle"]);
        output.WriteLine(table);

        Assert.Contains("background", table);
        Assert.Contains("50.00", table);     // background: TP 1, GT 2, P 1
        Assert.Contains("bicycle", table);
        Assert.Contains("mIoU 50.00 % over 2 of 3 classes", table);
        Assert.Contains("pixel accuracy 66.67 %", table);
        Assert.Matches(@"(?m)^aeroplane\s+50\.00\s+50\.00\s+100\.00\s+1\s+2$", table);
        Assert.Contains("foreground classes: mean precision 50.00 %, mean recall 100.00 %", table);
    }
}
