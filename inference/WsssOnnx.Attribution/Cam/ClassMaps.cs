using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Cam;

/// <summary>
/// Attribution maps of an image's classes, each divided by its own maximum (+1e-5): at stride 4 (for refinement)
/// and at full image size (for seeds). <see cref="Classes"/> are foreground class indices (0-based, no background).
/// </summary>
public sealed record ClassMaps(IReadOnlyList<int> Classes, HostTensor<float> Stride4, HostTensor<float> Full)
{
    public int Width => (int)Full.Shape[2];

    public int Height => (int)Full.Shape[1];
}
