namespace WsssOnnx.Cli;

/// <summary>Order statistics of measured times.</summary>
internal static class BenchStatistics
{
    /// <summary>The <paramref name="q"/>-quantile (0..1) by linear interpolation between order statistics (numpy's default).</summary>
    public static double Percentile(IReadOnlyCollection<double> values, double q)
    {
        if (values.Count == 0) throw new ArgumentException("no values", nameof(values));
        var sorted = values.Order().ToArray();
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
