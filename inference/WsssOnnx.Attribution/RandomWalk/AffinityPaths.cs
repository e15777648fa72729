namespace WsssOnnx.Attribution.RandomWalk;

/// <summary>One pixel pair offset (Dy, Dx) of the half-plane neighbourhood and the grid offsets its path crosses.</summary>
/// <param name="Path">Offsets from the source pixel, destination first, source (0, 0) last; B's maximum over them gives the pair's affinity.</param>
public sealed record AffinityDirection(int Dy, int Dx, IReadOnlyList<(int Dy, int Dx)> Path);

/// <summary>
/// IRN's neighbourhood of pixel pairs on the stride-4 grid (misc/indexing.py, PathIndex): offsets (0, x) for
/// 0 &lt; x &lt; r and (y, x) for 0 &lt; y &lt; r, |x| &lt; r with x² + y² &lt; r², so each unordered pair is counted once.
/// The path of offset d is every grid point of the bounding box of 0 and d whose squared distance to the line through
/// them, (d_y x − d_x y)² / |d|², is below 1. Pair affinity (IRN eq. 4): a_ij = 1 − max_{k on the path} B_k.
/// Directions are grouped by path length, shortest first, as the affinity tensors are laid out.
/// </summary>
public sealed class AffinityPaths
{
    private AffinityPaths(int radius, IReadOnlyList<AffinityDirection> directions)
    {
        Radius = radius;
        Directions = directions;
    }

    public int Radius { get; }

    public IReadOnlyList<AffinityDirection> Directions { get; }

    /// <summary>The longest path, in grid points.</summary>
    public int MaxPathLength => Directions.Max(d => d.Path.Count);

    /// <summary>
    /// a = 1 − max of <paramref name="boundary"/> (a row-major grid <paramref name="width"/> wide) over the path of
    /// <paramref name="direction"/> from (y, x); the caller keeps the destination on the grid.
    /// </summary>
    public static float PairAffinity(ReadOnlySpan<float> boundary, int width, int y, int x, AffinityDirection direction)
    {
        float edge = 0f;
        foreach (var (py, px) in direction.Path) edge = Math.Max(edge, boundary[(y + py) * width + x + px]);
        return 1f - edge;
    }

    private static readonly Dictionary<int, AffinityPaths> Cache = [];

    /// <summary>The neighbourhood of radius <paramref name="radius"/> (IRN: 10 for training, 5 for the random walk).</summary>
    public static AffinityPaths Of(int radius)
    {
        if (radius is < 2 or > 64) throw new ArgumentOutOfRangeException(nameof(radius), radius, "the affinity radius must be between 2 and 64");
        lock (Cache)
        {
            if (!Cache.TryGetValue(radius, out var paths))
                Cache[radius] = paths = Build(radius);
            return paths;
        }
    }

    private static AffinityPaths Build(int r)
    {
        var offsets = new List<(int Dy, int Dx)>();
        for (int x = 1; x < r; x++) offsets.Add((0, x));
        for (int y = 1; y < r; y++)
        {
            for (int x = -r + 1; x < r; x++)
                if (x * x + y * y < r * r) offsets.Add((y, x));
        }
        var directions = offsets.Select(d => new AffinityDirection(d.Dy, d.Dx, PathOf(d.Dy, d.Dx)))
            .Select((d, i) => (d, i))
            .OrderBy(p => p.d.Path.Count).ThenBy(p => p.i) // stable: IRN's order within a length
            .Select(p => p.d)
            .ToList();
        return new AffinityPaths(r, directions);
    }

    private static List<(int Dy, int Dx)> PathOf(int dy, int dx)
    {
        double lengthSq = dy * dy + dx * dx;
        var points = new List<(int Dy, int Dx)>();
        for (int y = Math.Min(0, dy); y <= Math.Max(0, dy); y++)
        {
            for (int x = Math.Min(0, dx); x <= Math.Max(0, dx); x++)
            {
                double cross = dy * x - dx * y;
                if (cross * cross / lengthSq < 1) points.Add((y, x));
            }
        }
        // Farthest from the source first, so Path[0] is the destination and the source (0, 0) comes last.
        return [.. points.Select((p, i) => (p, i)).OrderBy(q => -(Math.Abs(q.p.Dy) + Math.Abs(q.p.Dx))).ThenBy(q => q.i).Select(q => q.p)];
    }
}
