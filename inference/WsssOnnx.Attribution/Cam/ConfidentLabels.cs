using WsssOnnx.Attribution.Crf;
using WsssOnnx.Imaging;

namespace WsssOnnx.Attribution.Cam;

/// <summary>
/// Confident pseudo-labels for IRN training (IRN's <c>cam_to_ir_label</c>; ADVCAM.md "From maps to labels"): seeds at
/// a high background threshold (<see cref="ConfidentLabelOptions.ForegroundThreshold"/>: only confident foreground
/// survives) and at a low one (<see cref="ConfidentLabelOptions.BackgroundThreshold"/>: only confident background
/// survives), each refined by dense CRF over the image's own labels (background and its classes, as IRN's
/// <c>keys</c>), then combined: the foreground pass's class where it found one, background where both passes say
/// background, <see cref="Ignore"/> where the foreground pass says background and the background pass does not.
/// </summary>
public static class ConfidentLabels
{
    /// <summary>The label of pixels neither pass is sure of (VOC's "ignore").</summary>
    public const byte Ignore = 255;

    /// <summary>Label map with 0 = background, class k (0-based foreground index) as k + 1 and 255 = unsure.</summary>
    public static GrayImage FromMaps(RgbImage image, ClassMaps maps, DenseCrf crf, ConfidentLabelOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(crf);
        options = (options ?? new ConfidentLabelOptions()).Validate();
        var foreground = RefinedSeeds(image, maps, options.ForegroundThreshold, crf, cancellation);
        var background = RefinedSeeds(image, maps, options.BackgroundThreshold, crf, cancellation);
        return Combine(foreground, background);
    }

    /// <summary>
    /// IRN's combination: conf = fg; conf[fg == 0] = 255; conf[fg + bg == 0] = 0. Where both passes name different
    /// classes the foreground pass wins, as in IRN.
    /// </summary>
    public static GrayImage Combine(GrayImage foreground, GrayImage background)
    {
        ArgumentNullException.ThrowIfNull(foreground);
        ArgumentNullException.ThrowIfNull(background);
        if (foreground.Width != background.Width || foreground.Height != background.Height)
            throw new ArgumentException($"the label maps differ in size: {foreground.Width}x{foreground.Height} and {background.Width}x{background.Height}", nameof(background));
        var result = new GrayImage(foreground.Width, foreground.Height);
        for (int i = 0; i < result.Pixels.Length; i++)
        {
            byte fg = foreground.Pixels[i], bg = background.Pixels[i];
            result.Pixels[i] = fg != 0 ? fg : bg == 0 ? (byte)0 : Ignore;
        }
        return result;
    }

    /// <summary>
    /// Seeds at <paramref name="threshold"/> refined by dense CRF over the compact label set {background, the maps'
    /// classes} (IRN's <c>keys</c>: the CRF's uniform unary spreads 1 − gt_prob over these, not over absent classes).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the CRF.</exception>
    public static GrayImage RefinedSeeds(RgbImage image, ClassMaps maps, float threshold, DenseCrf crf, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentNullException.ThrowIfNull(crf);
        if (image.Width != maps.Width || image.Height != maps.Height)
            throw new ArgumentException($"the image is {image.Width}x{image.Height} but the maps are {maps.Width}x{maps.Height}", nameof(maps));
        var seeds = Seeds.FromMaps(maps, threshold);
        var keys = new byte[256];
        var compactOf = new byte[256];
        for (int k = 0; k < maps.Classes.Count; k++)
        {
            keys[k + 1] = (byte)(maps.Classes[k] + 1);
            compactOf[maps.Classes[k] + 1] = (byte)(k + 1);
        }
        var compact = new GrayImage(seeds.Width, seeds.Height);
        for (int i = 0; i < compact.Pixels.Length; i++) compact.Pixels[i] = compactOf[seeds.Pixels[i]];
        var refined = crf.InferLabels(image, compact, maps.Classes.Count + 1, cancellation);
        for (int i = 0; i < refined.Pixels.Length; i++) refined.Pixels[i] = keys[refined.Pixels[i]];
        return refined;
    }
}
