using WsssOnnx.Imaging;

namespace WsssOnnx.Cli;

/// <summary>Pictures of one class map: 8-bit grey, and the image blended with a colour ramp of the map.</summary>
internal static class HeatMap
{
    /// <summary>Share of the ramp colour in an overlay pixel; the image keeps the rest.</summary>
    public const float Opacity = 0.5f;

    /// <summary>Plane <paramref name="k"/> of maps [K, H, W] (values in [0, 1]) as grey 0..255.</summary>
    public static GrayImage Gray(ReadOnlySpan<float> maps, int k, int width, int height)
    {
        int plane = width * height;
        var gray = new GrayImage(width, height);
        var map = maps.Slice(k * plane, plane);
        for (int i = 0; i < plane; i++) gray.Pixels[i] = ToByte(map[i]);
        return gray;
    }

    /// <summary>The image blended with the jet ramp of plane <paramref name="k"/> (blue 0, green 0.5, red 1).</summary>
    public static RgbImage Overlay(RgbImage image, ReadOnlySpan<float> maps, int k)
    {
        int plane = image.Width * image.Height;
        var map = maps.Slice(k * plane, plane);
        var overlay = new RgbImage(image.Width, image.Height);
        for (int i = 0; i < plane; i++)
        {
            float v = Math.Clamp(map[i], 0f, 1f);
            // Jet: each channel a tent of width 3/4 centred at 1/4 (blue), 1/2 (green), 3/4 (red).
            float r = Math.Clamp(1.5f - Math.Abs(4f * v - 3f), 0f, 1f);
            float g = Math.Clamp(1.5f - Math.Abs(4f * v - 2f), 0f, 1f);
            float b = Math.Clamp(1.5f - Math.Abs(4f * v - 1f), 0f, 1f);
            int p = 3 * i;
            overlay.Pixels[p] = Blend(image.Pixels[p], r);
            overlay.Pixels[p + 1] = Blend(image.Pixels[p + 1], g);
            overlay.Pixels[p + 2] = Blend(image.Pixels[p + 2], b);
        }
        return overlay;
    }

    private static byte Blend(byte pixel, float ramp) => (byte)Math.Clamp(MathF.Round((1f - Opacity) * pixel + Opacity * 255f * ramp), 0f, 255f);

    private static byte ToByte(float v) => (byte)MathF.Round(255f * Math.Clamp(v, 0f, 1f));
}
