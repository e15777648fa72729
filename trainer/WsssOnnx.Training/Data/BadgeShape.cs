namespace WsssOnnx.Training.Data;

/// <summary>A badge shape of the class list (<see cref="BadgeGeometry"/>), scaled to a radius in pixels and rotated.</summary>
internal sealed class BadgeShape : SyntheticShape
{
    private readonly int design;
    private readonly float radius, cos, sin;

    public BadgeShape(int design, float x, float y, float radius, float angle)
    {
        this.design = design;
        X = x;
        Y = y;
        this.radius = radius;
        Angle = angle;
        (sin, cos) = MathF.SinCos(angle);
        Extent = radius * 1.05f;
    }

    public float Radius => radius;

    public int Design => design;

    /// <summary>Rotation in radians.</summary>
    public float Angle { get; }

    public override float Distance(float x, float y)
    {
        float dx = (x - X) / radius, dy = (y - Y) / radius;
        return radius * BadgeGeometry.Distance(design, dx * cos + dy * sin, dy * cos - dx * sin);
    }
}
