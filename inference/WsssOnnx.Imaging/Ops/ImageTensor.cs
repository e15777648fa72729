using WsssOnnx.Packages;

namespace WsssOnnx.Imaging;

/// <summary>Conversion of images to network input tensors.</summary>
public static class ImageTensor
{
    /// <summary>
    /// An RGB8 image as a normalised NCHW tensor [1, 3, H, W]: channel c of pixel (x, y) becomes
    /// (x / 255 − Mean_c) / Std_c (default <see cref="ImageNormalization.ImageNet"/>), through a 256-entry table per channel.
    /// </summary>
    public static HostTensor<float> FromRgb(RgbImage image, ImageNormalization? normalization = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        normalization ??= ImageNormalization.ImageNet;
        normalization.Validate();

        // lut[256 c + x] = (x / 255 − mean_c) / std_c
        Span<float> lut = stackalloc float[3 * 256];
        ReadOnlySpan<float> mean = [normalization.Mean.R, normalization.Mean.G, normalization.Mean.B];
        ReadOnlySpan<float> std = [normalization.Std.R, normalization.Std.G, normalization.Std.B];
        for (int c = 0; c < 3; c++)
            for (int x = 0; x < 256; x++)
                lut[256 * c + x] = (x / 255f - mean[c]) / std[c];

        int plane = image.Width * image.Height;
        var tensor = HostTensor<float>.Zeros(1, 3, image.Height, image.Width);
        Span<float> r = tensor.Data.AsSpan(0, plane), g = tensor.Data.AsSpan(plane, plane), b = tensor.Data.AsSpan(2 * plane, plane);
        ReadOnlySpan<byte> rgb = image.Pixels;
        for (int i = 0; i < plane; i++)
        {
            r[i] = lut[rgb[3 * i]];
            g[i] = lut[256 + rgb[3 * i + 1]];
            b[i] = lut[512 + rgb[3 * i + 2]];
        }
        return tensor;
    }
}
