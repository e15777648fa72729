using System.Globalization;
using System.Text;

namespace WsssOnnx.Training.Data;

/// <summary>
/// What a synthetic set turned out to contain, measured on its ground truth. Fractions are of pixels; the badge
/// fraction of an object is its visible badge area over its visible body area (badge included), before boundary
/// pixels are set to 255, i.e. how much of what the mask calls the object is the discriminative part.
/// </summary>
public sealed record SyntheticDatasetSummary
{
    public required int TrainImages { get; init; }

    public required int ValImages { get; init; }

    public int Images => TrainImages + ValImages;

    public required int Width { get; init; }

    public required int Height { get; init; }

    /// <summary>Foreground class names (index = classifier channel, label value index + 1).</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>[n] = images with n objects.</summary>
    public required IReadOnlyList<int> ImagesByObjectCount { get; init; }

    public required double MeanObjectsPerImage { get; init; }

    /// <summary>Mean number of distinct classes per image (the image-level label count).</summary>
    public required double MeanClassesPerImage { get; init; }

    /// <summary>[c] = images whose labels include class c.</summary>
    public required IReadOnlyList<int> ImagesPerClass { get; init; }

    /// <summary>[c] = objects (instances) of class c.</summary>
    public required IReadOnlyList<int> ObjectsPerClass { get; init; }

    /// <summary>[a][b] = images labelled with both a and b; the diagonal repeats <see cref="ImagesPerClass"/>.</summary>
    public required IReadOnlyList<IReadOnlyList<int>> CoOccurrence { get; init; }

    /// <summary>Pixels labelled with a class (not background, not 255), per image.</summary>
    public required double MeanForegroundFraction { get; init; }

    public required double MinForegroundFraction { get; init; }

    public required double MaxForegroundFraction { get; init; }

    /// <summary>Pixels labelled 255 (object boundaries), per image.</summary>
    public required double MeanIgnoreFraction { get; init; }

    /// <summary>Mean over objects of visible body area over in-image body area (1 − occlusion by later objects).</summary>
    public required double MeanVisibleFraction { get; init; }

    /// <summary>Objects with part of their body outside the image.</summary>
    public required double TruncatedFraction { get; init; }

    /// <summary>Mean over objects of visible badge area over visible body area.</summary>
    public required double MeanBadgeFraction { get; init; }

    public required double BadgeFractionP05 { get; init; }

    public required double BadgeFractionP50 { get; init; }

    public required double BadgeFractionP95 { get; init; }

    public required double DecoysPerImage { get; init; }

    /// <summary>Planned objects that found no placement leaving earlier ones visible (left out of image and labels).</summary>
    public required int DroppedObjects { get; init; }

    /// <summary>A plain-text report: counts, class table, co-occurrence matrix and area fractions.</summary>
    public string Format()
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine(inv, $"images: {Images} ({TrainImages} train, {ValImages} val), {Width}x{Height}, {ClassNames.Count} classes");
        s.AppendLine(inv, $"objects per image: mean {MeanObjectsPerImage:0.00}, histogram {string.Join(" ", ImagesByObjectCount.Select((n, i) => $"{i}:{n}"))}; " +
            $"classes per image: mean {MeanClassesPerImage:0.00}; dropped objects: {DroppedObjects}");
        s.AppendLine(inv, $"foreground fraction: mean {MeanForegroundFraction:P1}, min {MinForegroundFraction:P1}, max {MaxForegroundFraction:P1}; " +
            $"ignore (255) fraction: mean {MeanIgnoreFraction:P1}");
        s.AppendLine(inv, $"visible fraction of objects: mean {MeanVisibleFraction:P1}; truncated objects: {TruncatedFraction:P1}; decoys per image: {DecoysPerImage:0.00}");
        s.AppendLine(inv, $"badge area / visible object area: mean {MeanBadgeFraction:P1}, p5 {BadgeFractionP05:P1}, median {BadgeFractionP50:P1}, p95 {BadgeFractionP95:P1}");
        int nameWidth = Math.Max(5, ClassNames.Max(n => n.Length));
        s.AppendLine(inv, $"{"class".PadRight(nameWidth)}  images  objects  co-occurrence (images with both)");
        for (int c = 0; c < ClassNames.Count; c++)
            s.AppendLine(inv, $"{ClassNames[c].PadRight(nameWidth)}  {ImagesPerClass[c],6}  {ObjectsPerClass[c],7}  {string.Join(" ", CoOccurrence[c].Select(n => n.ToString(inv).PadLeft(5)))}");
        return s.ToString();
    }

    internal static SyntheticDatasetSummary Measure(SyntheticDatasetOptions options, IReadOnlyList<string> classNames, IReadOnlyList<SyntheticImageStats> images)
    {
        int classes = classNames.Count, pixels = options.Width * options.Height;
        int[] byCount = new int[options.MaxObjects + 1], imagesPerClass = new int[classes], objectsPerClass = new int[classes];
        int[][] coOccurrence = [.. Enumerable.Range(0, classes).Select(_ => new int[classes])];
        var badgeFractions = new List<double>();
        double objects = 0, labels = 0, foreground = 0, ignored = 0, visible = 0, truncated = 0, decoys = 0;
        double minForeground = 1, maxForeground = 0;
        int dropped = 0;
        foreach (SyntheticImageStats image in images)
        {
            byCount[image.Objects.Count]++;
            objects += image.Objects.Count;
            int[] present = [.. image.Objects.Select(o => o.Class).Distinct().Order()];
            labels += present.Length;
            foreach (int a in present)
                foreach (int b in present)
                    coOccurrence[a][b]++;
            foreach (SyntheticObject o in image.Objects)
            {
                objectsPerClass[o.Class]++;
                visible += (double)o.VisibleArea / o.InImageArea;
                truncated += o.Truncated ? 1 : 0;
                badgeFractions.Add((double)o.BadgeVisibleArea / o.VisibleArea);
            }
            double f = (double)image.ForegroundPixels / pixels;
            foreground += f;
            (minForeground, maxForeground) = (Math.Min(minForeground, f), Math.Max(maxForeground, f));
            ignored += (double)image.IgnorePixels / pixels;
            decoys += image.Decoys;
            dropped += image.DroppedObjects;
        }
        for (int c = 0; c < classes; c++) imagesPerClass[c] = coOccurrence[c][c];
        badgeFractions.Sort();
        int n = Math.Max(1, images.Count);
        double objectCount = Math.Max(1, badgeFractions.Count);
        return new SyntheticDatasetSummary
        {
            TrainImages = options.TrainImages,
            ValImages = options.ValImages,
            Width = options.Width,
            Height = options.Height,
            ClassNames = classNames,
            ImagesByObjectCount = byCount,
            MeanObjectsPerImage = objects / n,
            MeanClassesPerImage = labels / n,
            ImagesPerClass = imagesPerClass,
            ObjectsPerClass = objectsPerClass,
            CoOccurrence = coOccurrence,
            MeanForegroundFraction = foreground / n,
            MinForegroundFraction = images.Count == 0 ? 0 : minForeground,
            MaxForegroundFraction = maxForeground,
            MeanIgnoreFraction = ignored / n,
            MeanVisibleFraction = visible / objectCount,
            TruncatedFraction = truncated / objectCount,
            MeanBadgeFraction = badgeFractions.Sum() / objectCount,
            BadgeFractionP05 = Percentile(badgeFractions, 0.05),
            BadgeFractionP50 = Percentile(badgeFractions, 0.50),
            BadgeFractionP95 = Percentile(badgeFractions, 0.95),
            DecoysPerImage = decoys / n,
            DroppedObjects = dropped,
        };
    }

    // Nearest-rank percentile of sorted values.
    private static double Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
