namespace WsssOnnx.Training.Data;

/// <summary>An RGB colour with float channels on the 0–255 scale.</summary>
internal readonly record struct Rgb(float R, float G, float B)
{
    public static Rgb Lerp(Rgb a, Rgb b, float t) => new(a.R + (b.R - a.R) * t, a.G + (b.G - a.G) * t, a.B + (b.B - a.B) * t);

    public static Rgb operator *(Rgb c, float s) => new(c.R * s, c.G * s, c.B * s);

    /// <summary>HSV with hue in turns (wrapped), saturation and value clamped to [0, 1].</summary>
    public static Rgb FromHsv(float hue, float saturation, float value)
    {
        hue -= MathF.Floor(hue);
        saturation = Math.Clamp(saturation, 0, 1);
        value = Math.Clamp(value, 0, 1) * 255;
        float h = hue * 6;
        int sector = Math.Min((int)h, 5);
        float f = h - sector;
        float p = value * (1 - saturation), q = value * (1 - saturation * f), t = value * (1 - saturation * (1 - f));
        return sector switch
        {
            0 => new(value, t, p),
            1 => new(q, value, p),
            2 => new(p, value, t),
            3 => new(p, q, value),
            4 => new(t, p, value),
            _ => new(value, p, q),
        };
    }
}
