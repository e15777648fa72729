using WsssOnnx.Imaging;
using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Climbing;

/// <summary>
/// What a package's manifest fixes for class maps and seeds, read here for the service, the CLI and the trainer alike:
/// the input normalisation, CAM's and AdvCAM's options, and each one's seed background threshold.
/// </summary>
public static class ManifestAttribution
{
    /// <summary>The input normalisation the manifest names, as the image tensor code takes it.</summary>
    public static ImageNormalization Normalization(ModelManifest manifest) => ImageNormalization.From(manifest.Normalization);

    /// <summary>
    /// The package's AdvCAM options, or CAM's: the same scales with one step, so that CAM and AdvCAM maps differ only in
    /// climbing. Validated (<see cref="ArgumentOutOfRangeException"/> names the field).
    /// </summary>
    public static AdvCamOptions Options(ModelManifest manifest, bool climb)
    {
        var options = AdvCamOptions.FromDefaults(manifest.AdvCam);
        return climb ? options : options with { Steps = 1 };
    }

    /// <summary>The package's seed background threshold for maps made with <paramref name="options"/>: one step makes CAM's maps, more AdvCAM's.</summary>
    public static float BackgroundThreshold(ModelManifest manifest, AdvCamOptions options) => manifest.AdvCam.BackgroundThresholdOf(climbed: options.Steps > 1);
}
