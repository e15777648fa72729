namespace WsssOnnx.Training.Data;

/// <summary>
/// A fill: two colours mixed by a periodic pattern (stripes, dots, checks) at some angle and period, times a linear
/// shading across the shape it fills, so regions look like lit surfaces rather than flat paint.
/// </summary>
internal sealed class SyntheticTexture
{
    private readonly TexturePattern pattern;
    private readonly Rgb first, second;
    private readonly float cos, sin, frequency, contrast;
    private readonly float shadeX, shadeY, shadeAmount, centreX, centreY, reach;

    public SyntheticTexture(TexturePattern pattern, Rgb first, Rgb second, float angle, float period, float contrast,
        SyntheticShape shape, float shadeAngle, float shadeAmount)
    {
        this.pattern = pattern;
        this.first = first;
        this.second = second;
        (sin, cos) = MathF.SinCos(angle);
        frequency = 1 / period;
        this.contrast = contrast;
        (shadeY, shadeX) = MathF.SinCos(shadeAngle);
        this.shadeAmount = shadeAmount;
        (centreX, centreY, reach) = (shape.X, shape.Y, Math.Max(shape.Extent, 1));
    }

    public Rgb At(float x, float y)
    {
        float u = (x * cos + y * sin) * frequency, v = (y * cos - x * sin) * frequency;
        float t = pattern switch
        {
            TexturePattern.Stripes => 0.5f + 0.5f * MathF.Sin(2 * MathF.PI * u),
            TexturePattern.Dots => Dot(u, v),
            TexturePattern.Checker => 0.5f + 0.5f * Math.Clamp(4 * MathF.Sin(MathF.PI * u) * MathF.Sin(MathF.PI * v), -1, 1),
            _ => 0,
        };
        float shade = 1 + shadeAmount * Math.Clamp(((x - centreX) * shadeX + (y - centreY) * shadeY) / reach, -1, 1);
        return Rgb.Lerp(first, second, contrast * t) * shade;
    }

    // A soft dot of radius 0.3 periods in every cell; the edge ramp is about one pixel wide.
    private float Dot(float u, float v)
    {
        float fu = u - MathF.Floor(u) - 0.5f, fv = v - MathF.Floor(v) - 0.5f;
        float distance = (MathF.Sqrt(fu * fu + fv * fv) - 0.3f) / frequency;
        return Math.Clamp(0.5f - distance, 0, 1);
    }
}
