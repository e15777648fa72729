using System.Numerics.Tensors;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Climbing;

/// <summary>
/// IRN's multi-scale merge (make_cam) for one image: each scale's per-class maps at the classifier's stride are resized
/// bilinearly (half-pixel, align_corners = false) to stride-4 size ceil(H/4) x ceil(W/4) and to full size, summed over
/// scales with weight 1, and each class is finally divided by its own max + 1e-5.
/// </summary>
internal sealed class MultiScaleMerge
{
    private readonly HostTensor<float> _stride4;
    private readonly HostTensor<float> _full;

    public MultiScaleMerge(int classes, int width, int height)
    {
        Width = width;
        Height = height;
        _stride4 = HostTensor<float>.Zeros(classes, (height + 3) / 4, (width + 3) / 4);
        _full = HostTensor<float>.Zeros(classes, height, width);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Adds one scale: <paramref name="maps"/> is [K, h, w], class k's map in plane k.</summary>
    public void Add(HostTensor<float> maps)
    {
        if (maps.Rank != 3 || maps.Shape[0] != _full.Shape[0])
            throw new ArgumentException($"expected [{_full.Shape[0]}, h, w] maps, got {maps}", nameof(maps));
        Accumulate(ImageResize.Resize(maps, (int)_stride4.Shape[2], (int)_stride4.Shape[1], Interpolation.Bilinear), _stride4);
        Accumulate(ImageResize.Resize(maps, Width, Height, Interpolation.Bilinear), _full);
    }

    /// <summary>The per-class normalised result; call once, after the last scale.</summary>
    public ClassMaps Finish(IReadOnlyList<int> classes)
    {
        NormalisePerClass(_stride4);
        NormalisePerClass(_full);
        return new ClassMaps([.. classes], _stride4, _full);
    }

    /// <summary>Each class map divided by its own max + 1e-5 (IRN's normalisation).</summary>
    private static void NormalisePerClass(HostTensor<float> maps)
    {
        int plane = (int)(maps.Shape[1] * maps.Shape[2]);
        for (int k = 0; k < maps.Shape[0]; k++)
        {
            var span = maps.Data.AsSpan(k * plane, plane);
            TensorPrimitives.Divide(span, TensorPrimitives.Max(span) + 1e-5f, span);
        }
    }

    private static void Accumulate(HostTensor<float> maps, HostTensor<float> target) =>
        TensorPrimitives.Add(target.Data, maps.Data, target.Data);
}
