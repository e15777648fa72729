namespace WsssOnnx.Training.Data;

/// <summary>
/// Signed distances of the badge designs in a unit frame (the design fits the unit disc; y points down as in images).
/// Distances are exact or close (star, crescent), which is all anti-aliasing and the two-tone rim need.
/// </summary>
internal static class BadgeGeometry
{
    public static readonly string[] Names =
        ["disc", "triangle", "square", "plus", "ring", "diamond", "star", "hexagon", "crescent", "tee", "bars", "cross"];

    public static float Distance(int design, float x, float y) => design switch
    {
        0 => Length(x, y) - 0.95f,
        1 => Triangle(x, -y + 0.2f, 0.85f),
        2 => Box(x, y, 0.72f, 0.72f),
        3 => MathF.Min(Box(x, y, 0.95f, 0.3f), Box(x, y, 0.3f, 0.95f)),
        4 => MathF.Abs(Length(x, y) - 0.68f) - 0.27f,
        5 => (MathF.Abs(x) + MathF.Abs(y) - 0.95f) * 0.70710678f,
        6 => Star(x, y),
        7 => Hexagon(x, y, 0.82f),
        8 => MathF.Max(Length(x, y) - 0.95f, 0.72f - Length(x - 0.42f, y + 0.22f)),
        9 => MathF.Min(Box(x, y + 0.62f, 0.9f, 0.28f), Box(x, y + 0.05f, 0.28f, 0.85f)),
        10 => MathF.Min(Box(x, y + 0.45f, 0.9f, 0.24f), Box(x, y - 0.45f, 0.9f, 0.24f)),
        11 => Cross(x, y),
        _ => throw new ArgumentOutOfRangeException(nameof(design), design, $"badge designs are 0 to {Names.Length - 1}"),
    };

    public static float Box(float x, float y, float halfWidth, float halfHeight)
    {
        float qx = MathF.Abs(x) - halfWidth, qy = MathF.Abs(y) - halfHeight;
        return Length(MathF.Max(qx, 0), MathF.Max(qy, 0)) + MathF.Min(MathF.Max(qx, qy), 0);
    }

    private static float Length(float x, float y) => MathF.Sqrt(x * x + y * y);

    // Equilateral triangle, apex up (y up in this frame), circumradius 2r/√3, centred on its centroid.
    private static float Triangle(float x, float y, float r)
    {
        const float k = 1.7320508f;
        x = MathF.Abs(x) - r;
        y += r / k;
        if (x + k * y > 0) (x, y) = ((x - k * y) / 2, (-k * x - y) / 2);
        x -= Math.Clamp(x, -2 * r, 0);
        return -Length(x, y) * MathF.Sign(y);
    }

    // Regular hexagon with apothem a: the largest distance along its three face normals.
    private static float Hexagon(float x, float y, float a)
    {
        float ax = MathF.Abs(x), ay = MathF.Abs(y);
        return MathF.Max(ay, 0.8660254f * ax + 0.5f * ay) - a;
    }

    // Five-pointed star, outer radius 0.98, inner 0.45: radial distance to the polygon's boundary along the ray.
    private static float Star(float x, float y)
    {
        float rho = Length(x, y);
        float phi = MathF.Atan2(x, -y); // 0 at the top point
        float sector = 2 * MathF.PI / 5;
        float t = MathF.Abs(phi - sector * MathF.Round(phi / sector)) / (sector / 2); // 0 at a point, 1 between points
        float boundary = 0.98f + (0.45f - 0.98f) * t;
        return (rho - boundary) * 0.6f;
    }

    private static float Cross(float x, float y)
    {
        const float c = 0.70710678f;
        float u = c * (x + y), v = c * (y - x);
        return MathF.Min(Box(u, v, 0.95f, 0.26f), Box(u, v, 0.26f, 0.95f));
    }
}
