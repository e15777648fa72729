using WsssOnnx.Attribution.Cam;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Attribution.Tests.Climbing;

/// <summary>
/// An independent reference for plain CAM (the climber with T = 1), written straight from IRN's make_cam: at each scale the image and its flip go
/// through the classifier in one batch; each class's merged map is resized bilinearly (half-pixel) to stride 4 and to
/// full size and summed over scales (weight 1 each); each class is then divided by its max + 1e-5.
/// This is AdvCAM with T = 1 (ADVCAM.md).
/// </summary>
public sealed class ReferenceCam(ModelSession classifier, ImageNormalization normalization)
{
    /// <summary>Maps for the foreground classes <paramref name="classes"/> (0-based) at the given scales (default 1.0, 0.5, 1.5, 2.0).</summary>
    public ClassMaps Generate(RgbImage image, IReadOnlyList<int> classes, IReadOnlyList<float>? scales = null, CancellationToken cancellation = default)
    {
        scales ??= [1.0f, 0.5f, 1.5f, 2.0f];
        int h4 = (image.Height + 3) / 4, w4 = (image.Width + 3) / 4;
        var stride4 = HostTensor<float>.Zeros(classes.Count, h4, w4);
        var full = HostTensor<float>.Zeros(classes.Count, image.Height, image.Width);
        foreach (float scale in scales)
        {
            cancellation.ThrowIfCancellationRequested();
            int w = Math.Max(1, (int)Math.Round(image.Width * scale)), h = Math.Max(1, (int)Math.Round(image.Height * scale));
            var scaled = scale == 1f ? image : ImageResize.Resize(image, w, h, Interpolation.Bilinear);
            var pair = PairTensor(scaled);
            using var input = SessionInput.Create("image", pair);
            using var result = classifier.Run([input], [ClassifierContract.ClassMaps, ClassifierContract.PositiveWeights], cancellation);
            var maps = result.Span<float>(ClassifierContract.ClassMaps);
            var shape = result.Shape(ClassifierContract.ClassMaps);
            var kPos = result.Span<float>(ClassifierContract.PositiveWeights);
            int total = (int)shape[1], mh = (int)shape[2], mw = (int)shape[3];
            for (int k = 0; k < classes.Count; k++)
            {
                int c = classes[k];
                if (c < 0 || c >= total) throw new ArgumentOutOfRangeException(nameof(classes), c, $"class index must be in [0, {total})");
                var merged = new HostTensor<float>(MergedMap.Compute(maps, total, mh, mw, c, kPos[c]), 1, mh, mw);
                Accumulate(ImageResize.Resize(merged, w4, h4, Interpolation.Bilinear), stride4, k);
                Accumulate(ImageResize.Resize(merged, image.Width, image.Height, Interpolation.Bilinear), full, k);
            }
        }
        NormalisePerClass(stride4);
        NormalisePerClass(full);
        return new ClassMaps(classes, stride4, full);
    }

    /// <summary>[2, 3, H, W]: the normalised image and its horizontal flip.</summary>
    private HostTensor<float> PairTensor(RgbImage image)
    {
        var x = ImageTensor.FromRgb(image, normalization);
        var flipped = ImageTensor.FromRgb(ImageFlip.FlipHorizontal(image), normalization);
        var pair = new float[x.Data.Length * 2];
        x.Data.CopyTo(pair, 0);
        flipped.Data.CopyTo(pair, x.Data.Length);
        return new HostTensor<float>(pair, 2, 3, image.Height, image.Width);
    }

    private static void Accumulate(HostTensor<float> map, HostTensor<float> target, int k)
    {
        var dst = target.Data.AsSpan(k * map.Data.Length, map.Data.Length);
        System.Numerics.Tensors.TensorPrimitives.Add(dst, map.Data, dst);
    }

    /// <summary>Each class map divided by its own max + 1e-5 (IRN's normalisation).</summary>
    private static void NormalisePerClass(HostTensor<float> maps)
    {
        int plane = (int)(maps.Shape[1] * maps.Shape[2]);
        for (int k = 0; k < maps.Shape[0]; k++)
        {
            var span = maps.Data.AsSpan(k * plane, plane);
            float max = System.Numerics.Tensors.TensorPrimitives.Max(span);
            System.Numerics.Tensors.TensorPrimitives.Divide(span, max + 1e-5f, span);
        }
    }
}
