using System.Diagnostics.CodeAnalysis;
using WsssOnnx.Imaging;

namespace WsssOnnx.Datasets;

/// <summary>
/// A PASCAL VOC 2012-layout dataset (the real one, SBD's augmented lists, or our synthetic sets):
/// <c>JPEGImages/&lt;id&gt;.jpg</c>, <c>Annotations/&lt;id&gt;.xml</c>, <c>SegmentationClass/&lt;id&gt;.png</c> (palette indices,
/// 255 = ignore), lists under <c>ImageSets/Segmentation/</c>, and an optional <c>classes.txt</c> (<see cref="VocLayout"/>).
/// <para>
/// Image-level labels come from the annotation XML: the distinct &lt;object&gt;&lt;name&gt; values, difficult objects
/// included by default. This is how IRN, PSA and AdvCAM build their cls_labels.npy (make_cls_labels.py reads the XML,
/// not the masks), and it is the only source for SBD images without a VOC mask.
/// </para>
/// <para>
/// Opening parses every annotation (cheap: they are small) and, by default, checks that each JPEG exists; images and
/// masks are decoded only by <see cref="LoadImage"/> and <see cref="LoadMask"/>, so decode errors surface then.
/// Thread-safe once open.
/// </para>
/// </summary>
public sealed class VocDataset
{
    private readonly ImageDecoder decoder = new();
    private readonly List<DatasetProblem> problems;
    private readonly Lock problemsLock = new();

    private VocDataset(string root, string listPath, VocClasses classes, VocDatasetOptions options, VocSample[] samples, List<DatasetProblem> problems)
    {
        Root = root;
        ListPath = listPath;
        Classes = classes;
        Options = options;
        Samples = samples;
        this.problems = problems;
    }

    public string Root { get; }

    /// <summary>The list file the samples came from.</summary>
    public string ListPath { get; }

    public VocClasses Classes { get; }

    public VocDatasetOptions Options { get; }

    /// <summary>The usable samples in list order.</summary>
    public IReadOnlyList<VocSample> Samples { get; }

    /// <summary>Everything refused so far under <see cref="BadSamplePolicy.Skip"/>: at open time, then by the Try loads (a snapshot).</summary>
    public IReadOnlyList<DatasetProblem> Problems
    {
        get
        {
            lock (problemsLock) return [.. problems];
        }
    }

    /// <summary>
    /// Opens a split of <paramref name="root"/>: a name under ImageSets/Segmentation ("train", "val", "trainval", ...)
    /// or a list file's path (SBD's train_aug.txt), by <see cref="VocLayout.IsListPath"/>'s rule.
    /// </summary>
    /// <exception cref="ArgumentException">The split is empty.</exception>
    /// <exception cref="DatasetException">The root or list is missing, the list is empty, classes.txt is bad, or (under Stop) a sample is bad.</exception>
    public static VocDataset Open(string root, string split, VocDatasetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        return OpenList(root, VocLayout.RequireSplitList(root, split), options);
    }

    /// <summary>
    /// Opens the samples named by a list file anywhere on disk (e.g. SBD's train_aug.txt): lines are ids, or
    /// "image mask" path pairs relative to <paramref name="root"/> ("/JPEGImages/x.jpg /SegmentationClassAug/x.png").
    /// Annotations are always read from <c>Annotations/&lt;id&gt;.xml</c>.
    /// </summary>
    /// <exception cref="DatasetException">The root or list is missing, the list is empty, classes.txt is bad, or (under Stop) a sample is bad.</exception>
    public static VocDataset OpenList(string root, string listPath, VocDatasetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(listPath);
        options = (options ?? VocDatasetOptions.Default).Validate();
        VocLayout.RequireRoot(root);
        VocClasses classes = options.Classes ?? VocClasses.ForRoot(root);
        List<(VocListEntry? Entry, DatasetProblem? Problem)> lines = VocListFile.Read(root, listPath);

        // Every sample is checked independently (in parallel); the outcome is then taken in list order, so which
        // problem Stop throws and the order of Problems do not depend on scheduling.
        var outcomes = new (VocSample? Sample, DatasetProblem? Problem, Exception? Cause)[lines.Count];
        Parallel.For(0, lines.Count, new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism ?? -1 }, i =>
        {
            (VocListEntry? entry, DatasetProblem? problem) = lines[i];
            outcomes[i] = entry is null ? (null, problem, null) : Check(root, entry, classes, options);
        });

        var samples = new List<VocSample>(lines.Count);
        var problems = new List<DatasetProblem>();
        foreach ((VocSample? sample, DatasetProblem? problem, Exception? cause) in outcomes)
        {
            if (sample is not null)
            {
                samples.Add(sample);
                continue;
            }
            if (options.BadSamples == BadSamplePolicy.Stop)
                throw new DatasetException(problem!, cause);
            problems.Add(problem!);
        }
        if (samples.Count == 0)
            throw new DatasetException(new DatasetProblem(DatasetProblemKind.NoUsableSamples, listPath,
                $"None of the list's {outcomes.Length} samples is usable; the first was refused because {problems[0]}"));
        return new VocDataset(root, listPath, classes, options, [.. samples], problems);
    }

    /// <summary>Reads and decodes the sample's JPEG (or PNG) to RGB8.</summary>
    /// <exception cref="DatasetException">Missing or unreadable file, or data that does not decode (the decoder's exception is the inner one).</exception>
    public RgbImage LoadImage(VocSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        byte[] data = DatasetFiles.ReadBytes(sample.ImagePath, "image", sample.Id);
        try
        {
            return decoder.DecodeRgb(data);
        }
        catch (ImageDecodeException e)
        {
            throw new DatasetException(new DatasetProblem(DatasetProblemKind.UndecodableImage, sample.ImagePath,
                $"The image does not decode ({e.Reason}: {e.Message.TrimEnd('.')}).", sample.Id), e);
        }
    }

    /// <summary>
    /// Reads the sample's segmentation mask as label values (palette indices): 0 background, 1..C classes, 255 ignore.
    /// </summary>
    /// <exception cref="DatasetException">
    /// The sample has no mask (<see cref="VocSample.MaskPath"/> is null); missing or unreadable file, not a palette/grey PNG, or a value above C other than 255.
    /// </exception>
    public GrayImage LoadMask(VocSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        string path = sample.MaskPath
            ?? throw new DatasetException(new DatasetProblem(DatasetProblemKind.MissingFile, ListPath, $"sample {sample.Id} has no segmentation mask", sample.Id));
        byte[] data = DatasetFiles.ReadBytes(path, "segmentation mask", sample.Id);
        GrayImage mask;
        try
        {
            mask = decoder.DecodeLabels(data);
        }
        catch (ImageDecodeException e)
        {
            throw new DatasetException(new DatasetProblem(DatasetProblemKind.BadMask, path,
                $"The mask does not decode as a label PNG ({e.Reason}: {e.Message.TrimEnd('.')}).", sample.Id), e);
        }
        int bad = mask.Pixels.AsSpan().IndexOfAnyInRange<byte>((byte)(Classes.Count + 1), VocClasses.IgnoreLabel - 1);
        if (bad >= 0)
            throw new DatasetException(new DatasetProblem(DatasetProblemKind.BadMask, path,
                $"The mask holds {mask.Pixels[bad]} at ({bad % mask.Width}, {bad / mask.Width}), which is neither a class label (0 to {Classes.Count}) nor {VocClasses.IgnoreLabel}.", sample.Id));
        return mask;
    }

    /// <summary><see cref="LoadImage"/> under the dataset's policy: Stop throws, Skip records the problem and returns false.</summary>
    public bool TryLoadImage(VocSample sample, [NotNullWhen(true)] out RgbImage? image) => TryLoad(LoadImage, sample, out image);

    /// <summary><see cref="LoadMask"/> under the dataset's policy: Stop throws, Skip records the problem and returns false.</summary>
    public bool TryLoadMask(VocSample sample, [NotNullWhen(true)] out GrayImage? mask) => TryLoad(LoadMask, sample, out mask);

    public override string ToString() => $"{ListPath}: {Samples.Count} samples, {Classes}";

    private bool TryLoad<T>(Func<VocSample, T> load, VocSample sample, [NotNullWhen(true)] out T? result) where T : class
    {
        try
        {
            result = load(sample);
            return true;
        }
        catch (DatasetException e) when (Options.BadSamples == BadSamplePolicy.Skip)
        {
            lock (problemsLock) problems.Add(e.Problem);
            result = null;
            return false;
        }
    }

    private static (VocSample?, DatasetProblem?, Exception?) Check(string root, VocListEntry entry, VocClasses classes, VocDatasetOptions options)
    {
        string annotationPath = VocLayout.AnnotationPath(root, entry.Id);
        (int[]? present, DatasetProblem? problem, Exception? cause) = VocAnnotation.Read(annotationPath, classes, options.IncludeDifficult, entry.Id);
        if (problem is not null) return (null, problem, cause);

        if (options.CheckImagesOnOpen && !File.Exists(entry.ImagePath))
            return (null, DatasetFiles.Missing(entry.ImagePath, "image", entry.Id), null);

        // A pair line names its mask; a bare id looks in MaskFolder. Either way the mask is optional unless required.
        string maskPath = VocSplit.MaskPath(root, entry, options.MaskFolder);
        bool hasMask = File.Exists(maskPath);
        if (!hasMask && options.RequireMasks)
            return (null, DatasetFiles.Missing(maskPath, "segmentation mask", entry.Id), null);

        return (new VocSample(entry.Id, entry.ImagePath, annotationPath, hasMask ? maskPath : null, present!, classes.Count), null, null);
    }
}
