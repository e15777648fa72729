using WsssOnnx.Datasets;

namespace WsssOnnx.Training.Loop;

/// <summary>
/// The training images that have pixel labels in the semi-supervised setting (the AdvCAM paper's: a few images with
/// ground-truth masks, the rest with pseudo-labels): the ids of a split, every one a training image with a mask.
/// </summary>
public sealed record PixelLabelledSet(string Split, string ListPath, IReadOnlySet<string> Ids)
{
    /// <summary>Opens <paramref name="split"/> (a list name or path) of <paramref name="training"/>'s dataset and checks it against the training images.</summary>
    /// <exception cref="DatasetException">The list is missing, unreadable or malformed.</exception>
    /// <exception cref="ArgumentException">The list names images the training list lacks, or images without a ground-truth mask; the message names them.</exception>
    public static PixelLabelledSet Open(VocDataset training, string split)
    {
        ArgumentNullException.ThrowIfNull(training);
        var listed = VocSplit.Open(training.Root, split);
        var samples = training.Samples.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var foreign = listed.Ids.Where(id => !samples.ContainsKey(id)).ToList();
        if (foreign.Count > 0)
            throw new ArgumentException($"the pixel-label split {listed.ListPath} lists {foreign.Count} images that are not training images of {training.ListPath} " +
                $"(e.g. {Examples(foreign)}); pixel-labelled images must be a subset of the training list", nameof(split));
        var unlabelled = listed.Ids.Where(id => samples[id].MaskPath is not { } mask || !File.Exists(mask)).ToList();
        if (unlabelled.Count > 0)
            throw new ArgumentException($"the pixel-label split {listed.ListPath} lists {unlabelled.Count} images without a ground-truth mask in " +
                $"{VocLayout.MaskFolder} (e.g. {Examples(unlabelled)})", nameof(split));
        return new PixelLabelledSet(listed.Name, listed.ListPath, listed.Ids.ToHashSet(StringComparer.Ordinal));
    }

    private static string Examples(IReadOnlyList<string> ids) => string.Join(", ", ids.Take(3));
}
