namespace WsssOnnx.Training.Metrics;

/// <summary>Multi-label classification quality: average precision per class and their mean (mAP).</summary>
public static class AveragePrecision
{
    /// <summary>
    /// Non-interpolated AP (as scikit-learn's average_precision_score): the mean, over positives, of the precision
    /// at each positive's rank when samples are sorted by decreasing score. NaN for a class with no positive.
    /// </summary>
    public static double Of(IReadOnlyList<float> scores, IReadOnlyList<bool> positive)
    {
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        int total = positive.Count(p => p);
        if (total == 0) return double.NaN;
        double sum = 0;
        int hits = 0;
        for (int rank = 0; rank < order.Length; rank++)
        {
            if (!positive[order[rank]]) continue;
            hits++;
            sum += (double)hits / (rank + 1);
        }
        return sum / total;
    }

    /// <summary>Mean AP over the classes that have at least one positive; <paramref name="scores"/> and labels are [sample][class].</summary>
    public static double Mean(IReadOnlyList<float[]> scores, IReadOnlyList<float[]> labels)
    {
        if (scores.Count == 0) return double.NaN;
        int classes = scores[0].Length;
        var aps = Enumerable.Range(0, classes)
            .Select(c => Of([.. scores.Select(s => s[c])], [.. labels.Select(l => l[c] > 0.5f)]))
            .Where(ap => !double.IsNaN(ap))
            .ToArray();
        return aps.Length == 0 ? double.NaN : aps.Average();
    }
}
