namespace WsssOnnx.Datasets;

/// <summary>How <see cref="VocDataset"/> reads a dataset and what it does with bad samples.</summary>
public sealed record VocDatasetOptions
{
    public static VocDatasetOptions Default { get; } = new();

    /// <summary>Stop at the first bad sample (default), or skip it and record a <see cref="DatasetProblem"/>.</summary>
    public BadSamplePolicy BadSamples { get; init; } = BadSamplePolicy.Stop;

    /// <summary>
    /// Check at open time that every sample's JPEG exists (one stat per sample; default true). Annotations are parsed
    /// at open time either way, since they hold the labels; images are decoded only when loaded.
    /// </summary>
    public bool CheckImagesOnOpen { get; init; } = true;

    /// <summary>Refuse samples without a segmentation mask (default false: such samples get a null <see cref="VocSample.MaskPath"/>).</summary>
    public bool RequireMasks { get; init; }

    /// <summary>
    /// Count objects flagged &lt;difficult&gt;1&lt;/difficult&gt; as present (default true, as IRN's cls_labels.npy does:
    /// a difficult object is still in the image, and leaving it out would make it a negative).
    /// </summary>
    public bool IncludeDifficult { get; init; } = true;

    /// <summary>Folder under the root holding &lt;id&gt;.png masks for lists of bare ids (default "SegmentationClass"; SBD users may give "SegmentationClassAug").</summary>
    public string MaskFolder { get; init; } = VocLayout.MaskFolder;

    /// <summary>The class list; null (default) reads the root's classes.txt when present, else uses <see cref="VocClasses.Voc2012"/>.</summary>
    public VocClasses? Classes { get; init; }

    /// <summary>Threads used to parse annotations at open time; null (default) for all cores. Results do not depend on it.</summary>
    public int? MaxDegreeOfParallelism { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field outside its allowed range.</summary>
    public VocDatasetOptions Validate()
    {
        if (!Enum.IsDefined(BadSamples))
            throw new ArgumentException($"{nameof(BadSamples)} must be Stop or Skip; got {BadSamples}", nameof(BadSamples));
        if (string.IsNullOrWhiteSpace(MaskFolder) || Path.IsPathRooted(MaskFolder) || MaskFolder.Split('/', '\\').Contains(".."))
            throw new ArgumentException($"{nameof(MaskFolder)} must be a folder name relative to the root; got '{MaskFolder}'", nameof(MaskFolder));
        if (MaxDegreeOfParallelism is < 1)
            throw new ArgumentException($"{nameof(MaxDegreeOfParallelism)} must be at least 1 or null; got {MaxDegreeOfParallelism}", nameof(MaxDegreeOfParallelism));
        return this;
    }
}
