namespace WsssOnnx.Training.Data;

/// <summary>A rotated rectangle (exact distance).</summary>
internal sealed class BoxShape : SyntheticShape
{
    private readonly float halfWidth, halfHeight, cos, sin;

    public BoxShape(float x, float y, float halfWidth, float halfHeight, float angle)
    {
        X = x;
        Y = y;
        this.halfWidth = halfWidth;
        this.halfHeight = halfHeight;
        (sin, cos) = MathF.SinCos(angle);
        Extent = MathF.Sqrt(halfWidth * halfWidth + halfHeight * halfHeight);
    }

    public override float Distance(float x, float y)
    {
        float dx = x - X, dy = y - Y;
        return BadgeGeometry.Box(dx * cos + dy * sin, dy * cos - dx * sin, halfWidth, halfHeight);
    }
}
