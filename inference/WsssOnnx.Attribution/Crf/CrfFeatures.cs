using WsssOnnx.Imaging;

namespace WsssOnnx.Attribution.Crf;

/// <summary>
/// The CRF kernels' feature vectors, already divided by their standard deviations so both kernels are
/// exp(−½‖f_i − f_j‖²) (Krähenbühl and Koltun 2011, eq. 3): pixel i = y·W + x, positions in pixels, colours 0–255.
/// </summary>
internal static class CrfFeatures
{
    public const int GaussianDimensions = 2;
    public const int BilateralDimensions = 5;

    /// <summary>Smoothness kernel: (x/θ_γ, y/θ_γ).</summary>
    public static float[] Gaussian(int width, int height, float sxy)
    {
        var f = new float[checked(width * height * GaussianDimensions)];
        float inv = 1f / sxy;
        for (int y = 0, i = 0; y < height; y++)
            for (int x = 0; x < width; x++, i++)
            {
                f[2 * i] = x * inv;
                f[2 * i + 1] = y * inv;
            }
        return f;
    }

    /// <summary>Appearance kernel: (x/θ_α, y/θ_α, R/θ_β, G/θ_β, B/θ_β).</summary>
    public static float[] Bilateral(RgbImage image, float sxy, float srgb)
    {
        int width = image.Width, height = image.Height;
        var f = new float[checked(width * height * BilateralDimensions)];
        byte[] rgb = image.Pixels;
        float invXy = 1f / sxy, invRgb = 1f / srgb;
        for (int y = 0, i = 0; y < height; y++)
            for (int x = 0; x < width; x++, i++)
            {
                int o = BilateralDimensions * i;
                f[o] = x * invXy;
                f[o + 1] = y * invXy;
                f[o + 2] = rgb[3 * i] * invRgb;
                f[o + 3] = rgb[3 * i + 1] * invRgb;
                f[o + 4] = rgb[3 * i + 2] * invRgb;
            }
        return f;
    }
}
