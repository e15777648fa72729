namespace WsssOnnx.Datasets;

/// <summary>
/// One image of a VOC-layout dataset with its image-level labels.
/// <see cref="Classes"/> are foreground indices (classifier channels, 0 ≤ i &lt; <see cref="ClassCount"/>; label value i + 1),
/// distinct and ascending. <see cref="MaskPath"/> is null when the dataset has no segmentation mask for the image.
/// </summary>
public sealed record VocSample(string Id, string ImagePath, string AnnotationPath, string? MaskPath, IReadOnlyList<int> Classes, int ClassCount)
{
    /// <summary>The multi-label target: 1 at each of <see cref="Classes"/>, 0 elsewhere, length <see cref="ClassCount"/>.</summary>
    public float[] MultiHot()
    {
        var target = new float[ClassCount];
        foreach (int c in Classes) target[c] = 1;
        return target;
    }

    public override string ToString() => $"{Id} [{string.Join(", ", Classes)}]";
}
