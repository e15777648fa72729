namespace WsssOnnx.Training.Data;

/// <summary>
/// An irregular star-shaped blob: in a frame rotated by θ0 and squashed by <c>aspect</c> along its second axis,
/// the boundary is r(φ) = R (1 + Σ_k a_k sin(k φ + p_k)) for harmonics k = 2, 3, 5.
/// </summary>
internal sealed class BlobShape : SyntheticShape
{
    private readonly float radius, aspect, cos, sin;
    private readonly (int K, float Amplitude, float Phase)[] harmonics;

    public BlobShape(float x, float y, float radius, float aspect, float angle, (int K, float Amplitude, float Phase)[] harmonics)
    {
        X = x;
        Y = y;
        this.radius = radius;
        this.aspect = aspect;
        (sin, cos) = MathF.SinCos(angle);
        this.harmonics = harmonics;
        Extent = radius * (1 + harmonics.Sum(h => Math.Abs(h.Amplitude)));
    }

    /// <summary>A random blob; <paramref name="irregularity"/> scales the harmonic amplitudes (1 = the body's).</summary>
    public static BlobShape Random(Random random, float x, float y, float radius, float irregularity = 1f) => new(x, y, radius,
        aspect: Uniform(random, 0.6f, 1f), angle: Uniform(random, 0, MathF.PI),
        [
            (2, irregularity * Uniform(random, 0, 0.14f), Uniform(random, 0, 2 * MathF.PI)),
            (3, irregularity * Uniform(random, 0, 0.10f), Uniform(random, 0, 2 * MathF.PI)),
            (5, irregularity * Uniform(random, 0, 0.05f), Uniform(random, 0, 2 * MathF.PI)),
        ]);

    /// <summary>The area enclosed, unclipped: ½∫r(φ)² dφ · aspect = π R² aspect (1 + Σ a_k²/2) (cross terms of distinct harmonics vanish).</summary>
    public float Area => MathF.PI * radius * radius * aspect * (1 + harmonics.Sum(h => h.Amplitude * h.Amplitude) / 2);

    public override float Distance(float x, float y)
    {
        float dx = x - X, dy = y - Y;
        float u = dx * cos + dy * sin, v = (dy * cos - dx * sin) / aspect;
        float rho = MathF.Sqrt(u * u + v * v);
        if (rho < 1e-4f) return -radius;
        float phi = MathF.Atan2(v, u);
        float r = radius;
        foreach ((int k, float amplitude, float phase) in harmonics)
            r += radius * amplitude * MathF.Sin(k * phi + phase);
        // Radial distance in the squashed frame, scaled back to pixels along the ray through the point.
        return (rho - r) * (MathF.Sqrt(dx * dx + dy * dy) / rho);
    }

    internal static float Uniform(Random random, float low, float high) => low + (high - low) * random.NextSingle();
}
