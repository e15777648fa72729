using WsssOnnx.Attribution.Cam;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Attribution.RandomWalk;

/// <summary>
/// Runs a package's boundary.onnx (image -> B [1, 1, ceil(H / 4), ceil(W / 4)], the image and its mirror averaged
/// inside the graph) and makes random-walk labels from class maps of the same image.
/// </summary>
public sealed class BoundaryPredictor(ModelSession boundary, ImageNormalization normalization)
{
    /// <summary>The random walk's settings from a manifest; a package without a boundary network has none.</summary>
    public static RandomWalkOptions Options(ModelManifest manifest)
    {
        if (!manifest.Files.ContainsKey(PackageRoles.Boundary))
            throw new InvalidOperationException($"package {manifest.Name}/{manifest.Version} has no boundary network, so it cannot make random-walk labels; export it with --irn-run");
        var d = manifest.RandomWalk ?? new RandomWalkDefaults();
        return new RandomWalkOptions { Beta = d.Beta, ExpTimes = d.ExpTimes, Radius = d.Radius, BackgroundThreshold = d.BackgroundThreshold }.Validate();
    }

    /// <summary>B of <paramref name="image"/>, [h, w] on the stride-4 grid.</summary>
    public HostTensor<float> Predict(RgbImage image, CancellationToken cancellation = default)
    {
        using var input = SessionInput.Create(BoundaryContract.Image, ImageTensor.FromRgb(image, normalization));
        using var result = boundary.Run([input], [BoundaryContract.Boundary], cancellation);
        var shape = result.Shape(BoundaryContract.Boundary);
        int h = (int)shape[2], w = (int)shape[3];
        if (h != (image.Height + 3) / 4 || w != (image.Width + 3) / 4)
            throw new InvalidDataException($"the boundary network returned a {w}x{h} grid for a {image.Width}x{image.Height} image; expected stride 4");
        return new HostTensor<float>(result.Span<float>(BoundaryContract.Boundary).ToArray(), h, w);
    }

    /// <summary>Random-walk labels (0 background, class k as k + 1) of <paramref name="image"/> from its class maps.</summary>
    public GrayImage Labels(RgbImage image, ClassMaps maps, RandomWalkOptions options, CancellationToken cancellation = default) =>
        RandomWalk.Labels(maps, Predict(image, cancellation), options, cancellation);
}
