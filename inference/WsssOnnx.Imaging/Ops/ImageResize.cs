using System.Numerics;
using WsssOnnx.Packages;

namespace WsssOnnx.Imaging;

/// <summary>
/// Separable resizing with half-pixel centres (see <see cref="Interpolation"/> for the exact rule): a horizontal pass
/// into a float buffer, then a vertical pass, each driven by a per-axis table of taps built once per call.
/// Sizes are always given as (width, height).
/// </summary>
public static class ImageResize
{
    /// <summary>Resizes an RGB8 image; results are rounded to nearest (ties to even) and clamped to 0–255.</summary>
    public static RgbImage Resize(RgbImage image, int width, int height, Interpolation interpolation)
    {
        ArgumentNullException.ThrowIfNull(image);
        ValidateSize(width, height);
        if (width == image.Width && height == image.Height)
            return new RgbImage(width, height, (byte[])image.Pixels.Clone());

        ResampleAxis xAxis = ResampleAxis.Create(image.Width, width, interpolation);
        ResampleAxis yAxis = ResampleAxis.Create(image.Height, height, interpolation);
        int rowLength = width * RgbImage.Channels;
        float[] rows = new float[(long)image.Height * rowLength];
        Horizontal<byte>(image.Pixels, image.Height, RgbImage.Channels, xAxis, rows);

        var output = new RgbImage(width, height, GC.AllocateUninitializedArray<byte>(RgbImage.PixelBytes(width, height)));
        float[] accumulator = new float[rowLength];
        for (int y = 0; y < height; y++)
        {
            Vertical(rows, rowLength, yAxis, y, accumulator);
            Span<byte> dst = output.Row(y);
            for (int i = 0; i < dst.Length; i++)
                dst[i] = (byte)Math.Clamp(MathF.Round(accumulator[i]), 0f, 255f);
        }
        return output;
    }

    /// <summary>
    /// Resizes every H × W plane of a float tensor (the last two axes; e.g. CAMs [C, H, W] or [N, C, H, W]) to
    /// <paramref name="height"/> × <paramref name="width"/>; leading axes are kept. Values are not clamped.
    /// </summary>
    public static HostTensor<float> Resize(HostTensor<float> maps, int width, int height, Interpolation interpolation)
    {
        ArgumentNullException.ThrowIfNull(maps);
        ValidateSize(width, height);
        (int inHeight, int inWidth, long planes) = PlaneShape(maps);
        long[] shape = (long[])maps.Shape.Clone();
        shape[^2] = height;
        shape[^1] = width;
        if (width == inWidth && height == inHeight)
            return new HostTensor<float>((float[])maps.Data.Clone(), shape);

        var output = HostTensor<float>.Zeros(shape);
        ResampleAxis xAxis = ResampleAxis.Create(inWidth, width, interpolation);
        ResampleAxis yAxis = ResampleAxis.Create(inHeight, height, interpolation);
        float[] rows = new float[(long)inHeight * width];
        int inPlane = inHeight * inWidth, outPlane = height * width;
        for (long p = 0; p < planes; p++)
        {
            Horizontal<float>(maps.Data.AsSpan((int)(p * inPlane), inPlane), inHeight, 1, xAxis, rows);
            Span<float> dst = output.Data.AsSpan((int)(p * outPlane), outPlane);
            for (int y = 0; y < height; y++)
                Vertical(rows, width, yAxis, y, dst.Slice(y * width, width));
        }
        return output;
    }

    /// <summary>The (height, width) of the last two axes and how many such planes the tensor holds.</summary>
    internal static (int Height, int Width, long Planes) PlaneShape(HostTensor<float> maps)
    {
        if (maps.Rank < 2)
            throw new ArgumentException($"expected a tensor whose last two axes are height and width, got {maps}", nameof(maps));
        long height = maps.Shape[^2], width = maps.Shape[^1];
        if (height < 1 || width < 1)
            throw new ArgumentException($"expected height and width of at least 1, got {maps}", nameof(maps));
        return ((int)height, (int)width, maps.Length / (height * width));
    }

    private static void ValidateSize(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
    }

    // rows[y, ox, c] = Σ_k w[ox, k] · src[y, i[ox, k], c] for interleaved rows of `channels` samples per pixel.
    private static void Horizontal<T>(ReadOnlySpan<T> src, int height, int channels, ResampleAxis axis, Span<float> rows)
        where T : unmanaged, INumberBase<T>
    {
        int taps = axis.Taps;
        ReadOnlySpan<int> index = axis.Index;
        ReadOnlySpan<float> weight = axis.Weight;
        int outWidth = weight.Length / taps;
        int inLength = src.Length / height, outLength = outWidth * channels;
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<T> row = src.Slice(y * inLength, inLength);
            Span<float> dst = rows.Slice(y * outLength, outLength);
            for (int ox = 0; ox < outWidth; ox++)
            {
                int t0 = ox * taps;
                for (int c = 0; c < channels; c++)
                {
                    float sum = 0;
                    for (int k = 0; k < taps; k++)
                        sum += weight[t0 + k] * float.CreateTruncating(row[index[t0 + k] * channels + c]);
                    dst[ox * channels + c] = sum;
                }
            }
        }
    }

    // dst[x] = Σ_k w[y, k] · rows[i[y, k], x]: output row y of the vertical pass.
    private static void Vertical(ReadOnlySpan<float> rows, int rowLength, ResampleAxis axis, int y, Span<float> dst)
    {
        int taps = axis.Taps;
        dst.Clear();
        for (int k = 0; k < taps; k++)
        {
            float w = axis.Weight[y * taps + k];
            if (w != 0) AddScaled(rows.Slice(axis.Index[y * taps + k] * rowLength, rowLength), w, dst);
        }
    }

    // dst += w · src, a SIMD vector at a time.
    private static void AddScaled(ReadOnlySpan<float> src, float w, Span<float> dst)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var weight = new Vector<float>(w);
            for (; i <= dst.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(dst[i..]) + weight * new Vector<float>(src[i..])).CopyTo(dst[i..]);
        }
        for (; i < dst.Length; i++)
            dst[i] += w * src[i];
    }
}
