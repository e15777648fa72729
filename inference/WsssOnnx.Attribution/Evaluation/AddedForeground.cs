using WsssOnnx.Imaging;

namespace WsssOnnx.Attribution.Evaluation;

/// <summary>
/// Where a candidate label map's extra foreground lies compared with a baseline's (AdvCAM seeds against CAM seeds):
/// every pixel the candidate labels as a foreground class different from the baseline's label is counted by what the
/// ground truth says there: the same class, another object, background at a city-block distance of at most
/// <see cref="NearDistance"/> or <see cref="FarDistance"/> pixels from the nearest object pixel, farther background, or
/// the ignore band. Not thread-safe.
/// </summary>
public sealed class AddedForeground
{
    /// <summary>One stride-16 class-map cell.</summary>
    public const int NearDistance = 16;

    /// <summary>Two stride-16 cells.</summary>
    public const int FarDistance = 32;

    public long RightClass { get; private set; }

    public long OtherObject { get; private set; }

    /// <summary>Background within <see cref="NearDistance"/> px of an object.</summary>
    public long NearBackground { get; private set; }

    /// <summary>Background beyond <see cref="NearDistance"/> and within <see cref="FarDistance"/> px of an object.</summary>
    public long MiddleBackground { get; private set; }

    /// <summary>Background beyond <see cref="FarDistance"/> px of every object (or in an image with none).</summary>
    public long FarBackground { get; private set; }

    public long Ignored { get; private set; }

    public long Total => RightClass + OtherObject + NearBackground + MiddleBackground + FarBackground + Ignored;

    /// <summary>Pixels the baseline labels foreground and the candidate background, split by whether the baseline was right there.</summary>
    public long DroppedCorrect { get; private set; }

    public long DroppedWrong { get; private set; }

    /// <param name="distanceToObjects"><see cref="DistanceToObjects"/> of <paramref name="truth"/>, for callers that compare
    /// several candidates on one image; computed here when null and needed.</param>
    public void Accumulate(GrayImage baseline, GrayImage candidate, GrayImage truth, int[]? distanceToObjects = null)
    {
        if (baseline.Width != truth.Width || baseline.Height != truth.Height || candidate.Width != truth.Width || candidate.Height != truth.Height)
            throw new ArgumentException($"label maps differ in size: baseline {baseline.Width}x{baseline.Height}, " +
                $"candidate {candidate.Width}x{candidate.Height}, ground truth {truth.Width}x{truth.Height}");
        byte[] b = baseline.Pixels, c = candidate.Pixels, t = truth.Pixels;
        int[]? distance = distanceToObjects;
        if (distance is not null && distance.Length != t.Length)
            throw new ArgumentException($"distanceToObjects has {distance.Length} entries for a {truth.Width}x{truth.Height} ground truth", nameof(distanceToObjects));
        for (int p = 0; p < t.Length; p++)
        {
            if (c[p] is 0 or ConfusionMatrix.IgnoreLabel)
            {
                if (c[p] == 0 && b[p] is not (0 or ConfusionMatrix.IgnoreLabel) && t[p] != ConfusionMatrix.IgnoreLabel)
                {
                    if (t[p] == b[p]) DroppedCorrect++;
                    else DroppedWrong++;
                }
                continue;
            }
            if (c[p] == b[p]) continue;
            if (t[p] == ConfusionMatrix.IgnoreLabel) Ignored++;
            else if (t[p] == c[p]) RightClass++;
            else if (t[p] != 0) OtherObject++;
            else
            {
                distance ??= DistanceToObjects(truth);
                if (distance[p] <= NearDistance) NearBackground++;
                else if (distance[p] <= FarDistance) MiddleBackground++;
                else FarBackground++;
            }
        }
    }

    /// <summary>
    /// City-block distance of every pixel to the nearest object pixel (ground truth neither 0 nor ignore), by the
    /// two-pass chamfer transform with unit 4-neighbour steps (exact for the L1 metric); int.MaxValue / 2 with no object.
    /// </summary>
    public static int[] DistanceToObjects(GrayImage truth)
    {
        int w = truth.Width, h = truth.Height;
        const int none = int.MaxValue / 2;
        var d = new int[w * h];
        for (int p = 0; p < d.Length; p++) d[p] = truth.Pixels[p] is 0 or ConfusionMatrix.IgnoreLabel ? none : 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x;
                if (x > 0) d[p] = Math.Min(d[p], d[p - 1] + 1);
                if (y > 0) d[p] = Math.Min(d[p], d[p - w] + 1);
            }
        for (int y = h - 1; y >= 0; y--)
            for (int x = w - 1; x >= 0; x--)
            {
                int p = y * w + x;
                if (x < w - 1) d[p] = Math.Min(d[p], d[p + 1] + 1);
                if (y < h - 1) d[p] = Math.Min(d[p], d[p + w] + 1);
            }
        return d;
    }

    /// <summary>One line: the total and each share in percent.</summary>
    public string Format()
    {
        double total = Math.Max(1, Total);
        string Share(long n) => (100.0 * n / total).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
        return $"{Total} added: right class {Share(RightClass)} %, other object {Share(OtherObject)} %, background <= {NearDistance} px {Share(NearBackground)} %, "
            + $"{NearDistance}-{FarDistance} px {Share(MiddleBackground)} %, farther {Share(FarBackground)} %, ignore band {Share(Ignored)} %; "
            + $"dropped: {DroppedCorrect} right, {DroppedWrong} wrong";
    }
}
