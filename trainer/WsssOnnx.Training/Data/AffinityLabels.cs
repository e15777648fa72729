using WsssOnnx.Attribution.RandomWalk;

namespace WsssOnnx.Training.Data;

/// <summary>
/// IRN's inter-pixel affinity labels (voc12/dataloader.py, GetAffinityLabelFromIndices) from a confident label map:
/// the map is reduced to the stride-4 grid (nearest, the pixel at 4y + 2, 4x + 2 as PIL's 0.25 rescale picks), then each
/// pair (i, i + d) is positive background if both are 0, positive foreground if both carry the same class, negative if
/// the classes differ, and in no mask if either is 255 (unsure) or i + d is off the grid.
/// </summary>
public static class AffinityLabels
{
    public const byte Ignore = 255;

    /// <summary>The stride-4 grid side of a square crop of side <paramref name="crop"/> (ResNet's stem: ceil(c / 4)).</summary>
    public static int GridSize(int crop) => (crop + 3) / 4;

    /// <summary>
    /// Fills the three masks ([D, g, g] each, D = the paths' directions, g = <see cref="GridSize"/>) from a crop's label
    /// map (<paramref name="crop"/>², row-major); returns the (positive background, positive foreground, negative) counts.
    /// </summary>
    public static (int Background, int Foreground, int Negative) Fill(ReadOnlySpan<long> labels, int crop, AffinityPaths paths,
        Span<float> positiveBackground, Span<float> positiveForeground, Span<float> negative)
    {
        int g = GridSize(crop), plane = g * g, directions = paths.Directions.Count;
        if (labels.Length != crop * crop) throw new ArgumentException($"the label crop has {labels.Length} pixels, not {crop}x{crop}", nameof(labels));
        if (positiveBackground.Length != directions * plane || positiveForeground.Length != directions * plane || negative.Length != directions * plane)
            throw new ArgumentException($"each mask must hold {directions} x {g} x {g} values");
        Span<long> grid = plane <= 4096 ? stackalloc long[plane] : new long[plane];
        for (int y = 0; y < g; y++)
        {
            int sy = Math.Min(crop - 1, 4 * y + 2);
            for (int x = 0; x < g; x++) grid[y * g + x] = labels[sy * crop + Math.Min(crop - 1, 4 * x + 2)];
        }
        positiveBackground.Clear();
        positiveForeground.Clear();
        negative.Clear();
        int bg = 0, fg = 0, neg = 0;
        for (int d = 0; d < directions; d++)
        {
            var dir = paths.Directions[d];
            for (int y = 0; y + dir.Dy < g; y++)
            {
                for (int x = Math.Max(0, -dir.Dx); x < Math.Min(g, g - dir.Dx); x++)
                {
                    long a = grid[y * g + x], b = grid[(y + dir.Dy) * g + x + dir.Dx];
                    if (a == Ignore || b == Ignore) continue;
                    int at = d * plane + y * g + x;
                    if (a != b) { negative[at] = 1f; neg++; }
                    else if (a == 0) { positiveBackground[at] = 1f; bg++; }
                    else { positiveForeground[at] = 1f; fg++; }
                }
            }
        }
        return (bg, fg, neg);
    }
}
