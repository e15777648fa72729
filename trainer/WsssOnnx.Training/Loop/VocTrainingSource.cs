using System.Collections.Concurrent;
using WsssOnnx.Datasets;
using WsssOnnx.Imaging;

namespace WsssOnnx.Training.Loop;

/// <summary>
/// A VOC-layout dataset as a training source. Label maps come from the dataset's masks, or from a folder of
/// pseudo-label PNGs (&lt;id&gt;.png, 255 = ignore) when <paramref name="labelFolder"/> is given; then the images of
/// <paramref name="pixelLabelled"/> (semi-supervised training) still take their ground-truth masks. Decoded images can
/// be kept in memory (small datasets are decoded once instead of every epoch).
/// </summary>
public sealed class VocTrainingSource(VocDataset dataset, string? labelFolder = null, bool cacheImages = false, IReadOnlySet<string>? pixelLabelled = null)
    : ITrainingSource
{
    private readonly ConcurrentDictionary<int, RgbImage> _cache = new();
    private readonly ImageDecoder _decoder = new();

    public VocDataset Dataset => dataset;

    public IReadOnlyList<string> Classes { get; } = dataset.Classes.Foreground;

    public int Count => dataset.Samples.Count;

    public string IdOf(int index) => dataset.Samples[index].Id;

    /// <summary>Whether the image trains on its ground-truth mask (else on its pseudo-label): no label folder, or one of the pixel-labelled images.</summary>
    public bool UsesGroundTruth(string id) => labelFolder is null || pixelLabelled?.Contains(id) == true;

    public TrainingSample Load(int index, bool withMask = false)
    {
        var sample = dataset.Samples[index];
        var image = cacheImages ? _cache.GetOrAdd(index, _ => dataset.LoadImage(sample)) : dataset.LoadImage(sample);
        GrayImage? mask = null;
        if (withMask)
        {
            if (UsesGroundTruth(sample.Id))
            {
                mask = dataset.LoadMask(sample);
            }
            else
            {
                string path = Path.Combine(labelFolder!, sample.Id + ".png");
                if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no pseudo-label for {sample.Id}", path);
                try
                {
                    mask = _decoder.DecodeLabels(File.ReadAllBytes(path));
                }
                catch (ImageDecodeException e)
                {
                    throw new InvalidDataException($"{path}: {e.Message}", e);
                }
            }
            if (mask.Width != image.Width || mask.Height != image.Height)
                throw new InvalidDataException($"{sample.Id}: label map {mask.Width}x{mask.Height} does not match the image {image.Width}x{image.Height}");
        }
        return new TrainingSample(sample.Id, image, sample.MultiHot(), mask);
    }
}
