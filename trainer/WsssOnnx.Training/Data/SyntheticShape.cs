namespace WsssOnnx.Training.Data;

/// <summary>
/// A shape drawn by the synthetic generator, given by an (approximate) signed distance in pixels: negative inside.
/// Pixel (x, y) is sampled at its centre (x + 0.5, y + 0.5); its coverage, used for anti-aliased edges, is
/// clamp(0.5 − d, 0, 1), and it belongs to the shape's mask when d &lt; 0.
/// </summary>
internal abstract class SyntheticShape
{
    /// <summary>Centre in pixels.</summary>
    public float X { get; protected init; }

    public float Y { get; protected init; }

    /// <summary>No part of the shape lies farther than this from the centre.</summary>
    public float Extent { get; protected init; }

    public abstract float Distance(float x, float y);

    public static float Coverage(float distance) => Math.Clamp(0.5f - distance, 0f, 1f);

    /// <summary>The pixel rectangle [X0, X1) × [Y0, Y1) covering the shape, clipped to a width × height image (may be empty).</summary>
    public (int X0, int Y0, int X1, int Y1) Bounds(int width, int height) =>
        (Math.Max(0, (int)MathF.Floor(X - Extent - 1)), Math.Max(0, (int)MathF.Floor(Y - Extent - 1)),
         Math.Min(width, (int)MathF.Ceiling(X + Extent + 1)), Math.Min(height, (int)MathF.Ceiling(Y + Extent + 1)));
}
