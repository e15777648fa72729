using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Attribution.Fickle;

/// <summary>
/// FickleNet's localisation maps (Lee et al. CVPR 2019): per scale, the classifier runs once on the (image, flipped image)
/// pair and hands the start of its last 3x3 convolution to fickle.onnx, which re-runs the tail for N random selections.
/// Each selection i gives the CAM merge A_i of <see cref="MergedMap"/>; the paper marks a pixel when any selection's map
/// passes the threshold, so the selections are aggregated by max_i A_i / max A_i, scaled by the mean peak so that scales keep
/// CAM's relative weights (as p -> 0 every A_i is CAM's map and so is the aggregate). Scales merge as IRN's make_cam.
/// Masks come from a seeded <see cref="Random"/>, so a request is reproducible. Thread-safe (sessions shared, buffers owned).
/// </summary>
public sealed class FickleNetAttribution
{
    // Floats of the fickle graph's largest intermediate (the 9 stacked shifted inputs) per ORT call: 32 M, 128 MB.
    private const long MaxStackedFloats = 1L << 25;

    private readonly ModelSession _classifier;
    private readonly ModelSession _fickle;
    private readonly ImageNormalization _normalization;
    private readonly long _hiddenChannels;

    public FickleNetAttribution(ModelSession classifier, ModelSession fickle, ImageNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(fickle);
        ArgumentNullException.ThrowIfNull(normalization);
        _classifier = classifier;
        _fickle = fickle;
        _normalization = normalization;
        var hidden = fickle.Inputs.FirstOrDefault(i => i.Name == FickleContract.Hidden)
            ?? throw new ArgumentException($"the fickle session {fickle.Source} has no input '{FickleContract.Hidden}'", nameof(fickle));
        _hiddenChannels = hidden.Shape is [_, > 0, ..] ? hidden.Shape[1] : 512;
    }

    /// <summary>
    /// Maps of <paramref name="classes"/> (0-based foreground indices) at <paramref name="maps"/>' scales, normalised per class as CAM's.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Invalid options or an image over <see cref="AdvCamOptions.MaxSide"/>.</exception>
    public ClassMaps Maps(RgbImage image, IReadOnlyList<int> classes, AdvCamOptions maps, FickleNetOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(classes);
        maps.Validate();
        options.Validate();
        if (Math.Max(image.Width, image.Height) > maps.MaxSide)
        {
            throw new ArgumentOutOfRangeException(nameof(image), $"{image.Width}x{image.Height}",
                $"the image's long side must be at most AdvCamOptions.MaxSide = {maps.MaxSide} pixels; got {image.Width}x{image.Height} (larger images are rejected, not downscaled)");
        }
        int[] targets = [.. classes];
        var merge = new MultiScaleMerge(targets.Length, image.Width, image.Height);
        if (targets.Length == 0) return merge.Finish(targets);
        var rng = new Random(options.Seed);
        foreach (float scale in maps.Scales)
        {
            cancellation.ThrowIfCancellationRequested();
            int w = Math.Max(1, (int)Math.Round(image.Width * scale)), h = Math.Max(1, (int)Math.Round(image.Height * scale));
            var scaled = scale == 1f ? image : ImageResize.Resize(image, w, h, Interpolation.Bilinear);
            merge.Add(Scale(scaled, targets, options, rng, cancellation));
        }
        return merge.Finish(targets);
    }

    /// <summary>The aggregated map of every class at one scale, [P, h, w] at the classifier's stride.</summary>
    private HostTensor<float> Scale(RgbImage scaled, int[] classes, FickleNetOptions o, Random rng, CancellationToken cancellation)
    {
        HostTensor<float> hidden, shortcut;
        float[] kPos;
        using (var image = SessionInput.Create(ClassifierContract.Image, PairBatch.Create(scaled, _normalization, 1)))
        using (var result = _classifier.Run([image], [FickleContract.Hidden, FickleContract.Shortcut, ClassifierContract.PositiveWeights], cancellation))
        {
            hidden = result.ToHost<float>(FickleContract.Hidden);
            shortcut = result.ToHost<float>(FickleContract.Shortcut);
            kPos = result.Span<float>(ClassifierContract.PositiveWeights).ToArray();
        }
        const int copies = 2;
        int h = (int)hidden.Shape[2], w = (int)hidden.Shape[3], plane = h * w;
        int perCall = (int)Math.Clamp(MaxStackedFloats / (copies * 9 * _hiddenChannels * plane), 1, o.Samples);
        float keep = 1f / (1f - o.DropRate);

        var aggregate = new float[classes.Length * plane];
        var peakSum = new double[classes.Length];
        using var hiddenIn = SessionInput.Create(FickleContract.Hidden, hidden);
        using var shortcutIn = SessionInput.Create(FickleContract.Shortcut, shortcut);
        for (int start = 0; start < o.Samples; start += perCall)
        {
            cancellation.ThrowIfCancellationRequested();
            int m = Math.Min(perCall, o.Samples - start);
            // Inverted dropout: each non-centre unit kept with probability 1 - p and scaled by 1 / (1 - p), so E[y] is the convolution.
            var masks = new float[m * copies * FickleContract.Offsets * plane];
            for (int i = 0; i < masks.Length; i++) masks[i] = rng.NextDouble() < o.DropRate ? 0f : keep;
            using var masksIn = SessionInput.Create(FickleContract.KeepMasks, masks, [m, copies, FickleContract.Offsets, h, w]);
            using var result = _fickle.Run([hiddenIn, shortcutIn, masksIn], [FickleContract.ClassMaps], cancellation);
            var s = result.Span<float>(FickleContract.ClassMaps);
            int total = (int)result.Shape(FickleContract.ClassMaps)[1];
            for (int i = 0; i < m; i++)
            {
                var pair = s.Slice(i * copies * total * plane, copies * total * plane);
                for (int k = 0; k < classes.Length; k++)
                {
                    int c = classes[k];
                    var a = MergedMap.Compute(pair, total, h, w, c, kPos[c]);
                    float peak = a.Max();
                    if (!(peak > 0f)) continue;
                    peakSum[k] += peak;
                    var target = aggregate.AsSpan(k * plane, plane);
                    for (int p = 0; p < plane; p++) target[p] = Math.Max(target[p], a[p] / peak);
                }
            }
        }
        for (int k = 0; k < classes.Length; k++)
        {
            float meanPeak = (float)(peakSum[k] / o.Samples);
            var target = aggregate.AsSpan(k * plane, plane);
            for (int p = 0; p < plane; p++) target[p] *= meanPeak;
        }
        return new HostTensor<float>(aggregate, classes.Length, h, w);
    }
}
