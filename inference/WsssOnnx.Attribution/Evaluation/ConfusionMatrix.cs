using System.Globalization;
using System.Text;
using WsssOnnx.Imaging;

namespace WsssOnnx.Attribution.Evaluation;

/// <summary>
/// Pixel counts of (ground truth, prediction) pairs over label maps, for semantic segmentation scores. Classes are
/// 0 … C−1 with 0 = background (C = 21 for PASCAL VOC). Ground-truth pixels equal to <see cref="IgnoreLabel"/> are
/// skipped. A prediction of <see cref="IgnoreLabel"/> (an IR label's "unsure") at a counted pixel is a miss for the
/// ground-truth class and a false positive for no class.
/// <para>
/// IoU_c = TP_c / (GT_c + P_c − TP_c), NaN when the union GT_c + P_c − TP_c is 0, i.e. when class c appears neither
/// in the ground truth nor in the predictions. mIoU is the mean over the classes whose IoU is not NaN: IRN's
/// <c>np.nanmean(iou)</c> (chainercv's confusion matrix), which the AdvCAM numbers use. The VOC devkit averages over
/// all C classes; on a VOC split every class is present, so the two agree there.
/// </para>
/// <para>
/// Not thread-safe: give each worker its own matrix and <see cref="Merge"/> them.
/// (chainercv would grow the matrix to 256 classes for a 255 prediction and count "class 255" with IoU 0 in the
/// mean; we do not copy that.)
/// </para>
/// </summary>
public sealed class ConfusionMatrix
{
    public const byte IgnoreLabel = 255;

    private readonly long[] _counts;        // [groundTruth · C + prediction]
    private readonly long[] _unpredicted;   // [groundTruth]: counted pixels predicted IgnoreLabel

    public ConfusionMatrix(int classCount)
    {
        if (classCount is < 1 or > IgnoreLabel)
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, $"classCount must be in [1, {IgnoreLabel}] (labels are bytes and {IgnoreLabel} is the ignore label)");
        ClassCount = classCount;
        _counts = new long[classCount * classCount];
        _unpredicted = new long[classCount];
    }

    /// <summary>C: classes including background.</summary>
    public int ClassCount { get; }

    /// <summary>Pixels whose ground truth is a class (not ignored).</summary>
    public long CountedPixels { get; private set; }

    /// <summary>Pixels skipped because their ground truth is <see cref="IgnoreLabel"/>.</summary>
    public long IgnoredPixels { get; private set; }

    /// <summary>Pixels of ground-truth class <paramref name="groundTruth"/> predicted as <paramref name="prediction"/>.</summary>
    public long this[int groundTruth, int prediction]
    {
        get
        {
            CheckClass(groundTruth, nameof(groundTruth));
            CheckClass(prediction, nameof(prediction));
            return _counts[groundTruth * ClassCount + prediction];
        }
    }

    /// <summary>Pixels of ground-truth class <paramref name="groundTruth"/> predicted <see cref="IgnoreLabel"/>.</summary>
    public long UnpredictedPixels(int groundTruth)
    {
        CheckClass(groundTruth, nameof(groundTruth));
        return _unpredicted[groundTruth];
    }

    /// <summary>Adds one (prediction, ground truth) pair of label maps of the same size.</summary>
    /// <exception cref="ArgumentException">Sizes differ, or a label is neither a class nor <see cref="IgnoreLabel"/>; the matrix is then unchanged.</exception>
    public void Accumulate(ReadOnlySpan<byte> prediction, ReadOnlySpan<byte> groundTruth)
    {
        if (prediction.Length != groundTruth.Length)
            throw new ArgumentException($"prediction has {prediction.Length} pixels but ground truth has {groundTruth.Length}", nameof(prediction));
        int c = ClassCount;
        for (int i = 0; i < groundTruth.Length; i++)
        {
            if (groundTruth[i] >= c && groundTruth[i] != IgnoreLabel)
                throw new ArgumentException($"ground-truth label {groundTruth[i]} at pixel {i} is neither a class in [0, {c}) nor {IgnoreLabel}", nameof(groundTruth));
            if (prediction[i] >= c && prediction[i] != IgnoreLabel)
                throw new ArgumentException($"predicted label {prediction[i]} at pixel {i} is neither a class in [0, {c}) nor {IgnoreLabel}", nameof(prediction));
        }

        long ignored = 0;
        for (int i = 0; i < groundTruth.Length; i++)
        {
            int truth = groundTruth[i], predicted = prediction[i];
            if (truth == IgnoreLabel) ignored++;
            else if (predicted == IgnoreLabel) _unpredicted[truth]++;
            else _counts[truth * c + predicted]++;
        }
        IgnoredPixels += ignored;
        CountedPixels += groundTruth.Length - ignored;
    }

    /// <inheritdoc cref="Accumulate(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    public void Accumulate(GrayImage prediction, GrayImage groundTruth)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(groundTruth);
        if (prediction.Width != groundTruth.Width || prediction.Height != groundTruth.Height)
            throw new ArgumentException($"prediction is {prediction.Width}x{prediction.Height} but ground truth is {groundTruth.Width}x{groundTruth.Height}", nameof(prediction));
        Accumulate(prediction.Pixels, groundTruth.Pixels);
    }

    /// <summary>Adds <paramref name="other"/>'s counts (e.g. from another worker) to this matrix.</summary>
    public void Merge(ConfusionMatrix other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.ClassCount != ClassCount)
            throw new ArgumentException($"cannot merge a {other.ClassCount}-class matrix into a {ClassCount}-class one", nameof(other));
        for (int k = 0; k < _counts.Length; k++) _counts[k] += other._counts[k];
        for (int k = 0; k < _unpredicted.Length; k++) _unpredicted[k] += other._unpredicted[k];
        CountedPixels += other.CountedPixels;
        IgnoredPixels += other.IgnoredPixels;
    }

    /// <summary>TP_c: pixels of class c predicted as c.</summary>
    public long TruePositives(int c) => this[c, c];

    /// <summary>GT_c: counted pixels whose ground truth is c (a row sum, unpredicted ones included).</summary>
    public long GroundTruthPixels(int c)
    {
        CheckClass(c, nameof(c));
        long sum = _unpredicted[c];
        for (int p = 0; p < ClassCount; p++) sum += _counts[c * ClassCount + p];
        return sum;
    }

    /// <summary>P_c: counted pixels predicted as c (a column sum).</summary>
    public long PredictedPixels(int c)
    {
        CheckClass(c, nameof(c));
        long sum = 0;
        for (int t = 0; t < ClassCount; t++) sum += _counts[t * ClassCount + c];
        return sum;
    }

    /// <summary>IoU_c = TP / (GT + P − TP); NaN when class c is in neither the ground truth nor the predictions.</summary>
    public double IntersectionOverUnion(int c)
    {
        long tp = TruePositives(c);
        long union = GroundTruthPixels(c) + PredictedPixels(c) - tp;
        return union == 0 ? double.NaN : (double)tp / union;
    }

    /// <summary>Precision_c = TP / P: how much of what is predicted c is c; NaN when nothing is predicted c.</summary>
    public double Precision(int c)
    {
        long predicted = PredictedPixels(c);
        return predicted == 0 ? double.NaN : (double)TruePositives(c) / predicted;
    }

    /// <summary>Recall_c = TP / GT: how much of class c is predicted c (its coverage); NaN when c is not in the ground truth.</summary>
    public double Recall(int c)
    {
        long truth = GroundTruthPixels(c);
        return truth == 0 ? double.NaN : (double)TruePositives(c) / truth;
    }

    /// <summary>Mean of <see cref="Precision"/> over the foreground classes 1 … C−1 where it is defined; NaN if nowhere.</summary>
    public double MeanForegroundPrecision => MeanOverForeground(Precision);

    /// <summary>Mean of <see cref="Recall"/> over the foreground classes 1 … C−1 where it is defined; NaN if nowhere.</summary>
    public double MeanForegroundRecall => MeanOverForeground(Recall);

    /// <summary>IoU of every class, index = class.</summary>
    public double[] PerClassIntersectionOverUnion()
    {
        var iou = new double[ClassCount];
        for (int c = 0; c < ClassCount; c++) iou[c] = IntersectionOverUnion(c);
        return iou;
    }

    /// <summary>Mean IoU over the classes present in the ground truth or the predictions (IRN's nanmean); NaN if none is.</summary>
    public double MeanIntersectionOverUnion
    {
        get
        {
            double sum = 0;
            int present = 0;
            foreach (double iou in PerClassIntersectionOverUnion())
            {
                if (double.IsNaN(iou)) continue;
                sum += iou;
                present++;
            }
            return present == 0 ? double.NaN : sum / present;
        }
    }

    /// <summary>Σ_c TP_c / counted pixels; NaN before any counted pixel.</summary>
    public double PixelAccuracy
    {
        get
        {
            if (CountedPixels == 0) return double.NaN;
            long correct = 0;
            for (int c = 0; c < ClassCount; c++) correct += _counts[c * ClassCount + c];
            return (double)correct / CountedPixels;
        }
    }

    /// <summary>
    /// A plain-text table: one line per class (IoU, precision and recall in percent, "-" where undefined; ground-truth
    /// and predicted pixels), then mIoU and pixel accuracy, and the foreground classes' mean precision and recall (seeds
    /// that over-cover the objects have recall above precision). <paramref name="classNames"/>, when given, names the C classes.
    /// </summary>
    public string ToTable(IReadOnlyList<string>? classNames = null)
    {
        if (classNames is not null && classNames.Count != ClassCount)
            throw new ArgumentException($"{classNames.Count} class names for {ClassCount} classes", nameof(classNames));
        int nameWidth = Math.Max(5, classNames?.Max(n => n.Length) ?? 3);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"{"class".PadRight(nameWidth)}  {"IoU %",7}  {"prec. %",7}  {"recall %",8}  {"GT pixels",12}  {"predicted",12}\n");
        int present = 0;
        for (int c = 0; c < ClassCount; c++)
        {
            double iou = IntersectionOverUnion(c);
            if (!double.IsNaN(iou)) present++;
            string name = classNames?[c] ?? c.ToString(CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture,
                $"{name.PadRight(nameWidth)}  {Percent(iou),7}  {Percent(Precision(c)),7}  {Percent(Recall(c)),8}  {GroundTruthPixels(c),12}  {PredictedPixels(c),12}\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"mIoU {100 * MeanIntersectionOverUnion:F2} % over {present} of {ClassCount} classes; ");
        text.Append(CultureInfo.InvariantCulture, $"pixel accuracy {100 * PixelAccuracy:F2} %; {CountedPixels} pixels counted, {IgnoredPixels} ignored\n");
        if (ClassCount > 1)
            text.Append(CultureInfo.InvariantCulture, $"foreground classes: mean precision {Percent(MeanForegroundPrecision)} %, mean recall {Percent(MeanForegroundRecall)} %\n");
        return text.ToString();
    }

    private static string Percent(double fraction) => double.IsNaN(fraction) ? "-" : (100 * fraction).ToString("F2", CultureInfo.InvariantCulture);

    private double MeanOverForeground(Func<int, double> perClass)
    {
        double sum = 0;
        int defined = 0;
        for (int c = 1; c < ClassCount; c++)
        {
            double value = perClass(c);
            if (double.IsNaN(value)) continue;
            sum += value;
            defined++;
        }
        return defined == 0 ? double.NaN : sum / defined;
    }

    private void CheckClass(int c, string name)
    {
        if ((uint)c >= (uint)ClassCount)
            throw new ArgumentOutOfRangeException(name, c, $"class must be in [0, {ClassCount})");
    }
}
