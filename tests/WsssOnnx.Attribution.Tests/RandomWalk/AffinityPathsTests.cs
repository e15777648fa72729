using WsssOnnx.Attribution.RandomWalk;

namespace WsssOnnx.Attribution.Tests.RandomWalk;

/// <summary>IRN's pixel-pair neighbourhood and the path each pair's affinity is taken over.</summary>
public sealed class AffinityPathsTests
{
    [Theory]
    [InlineData(5, 34)]  // 4 on the row, then 9 + 9 + 7 + 5 below it
    [InlineData(10, 152)] // 9 on the row; rows 1..9: 19, 19, 19, 19, 17, 15, 15, 11, 9
    public void The_half_plane_has_each_unordered_pair_once(int radius, int expected)
    {
        var directions = AffinityPaths.Of(radius).Directions;
        Assert.Equal(expected, directions.Count);
        var set = directions.Select(d => (d.Dy, d.Dx)).ToHashSet();
        Assert.Equal(directions.Count, set.Count);
        foreach (var (dy, dx) in set)
        {
            Assert.DoesNotContain((-dy, -dx), set);
            Assert.True(dy * dy + dx * dx < radius * radius);
        }
        // Every offset of the full disc but 0 is in the set or its mirror image.
        int disc = 0;
        for (int y = -radius; y <= radius; y++)
            for (int x = -radius; x <= radius; x++)
                if ((y != 0 || x != 0) && x * x + y * y < radius * radius && Math.Abs(y) < radius && Math.Abs(x) < radius) disc++;
        Assert.Equal(disc, 2 * directions.Count);
    }

    [Fact]
    public void Paths_are_the_grid_points_within_distance_one_of_the_line_destination_first()
    {
        var paths = AffinityPaths.Of(5).Directions.ToDictionary(d => (d.Dy, d.Dx), d => d.Path);
        Assert.Equal([(0, 3), (0, 2), (0, 1), (0, 0)], paths[(0, 3)]);
        // (1, 1): all four corners of the unit square lie within distance 1/sqrt(2) of the diagonal.
        Assert.Equal((1, 1), paths[(1, 1)][0]);
        Assert.Equal((0, 0), paths[(1, 1)][^1]);
        Assert.Equal(4, paths[(1, 1)].Count);
        // (2, -1): distance |2x + y| / sqrt(5) is below 1 for all six points of the 3x2 box.
        var p = paths[(2, -1)];
        Assert.Equal((2, -1), p[0]);
        Assert.Equal((0, 0), p[^1]);
        Assert.Equal([(0, -1), (0, 0), (1, -1), (1, 0), (2, -1), (2, 0)], p.OrderBy(q => q.Dy).ThenBy(q => q.Dx).ToList());
        // Grouped by path length, shortest first.
        var lengths = AffinityPaths.Of(10).Directions.Select(d => d.Path.Count).ToList();
        Assert.Equal(lengths.Order().ToList(), lengths);
    }

    [Fact]
    public void Affinity_is_one_minus_the_largest_boundary_value_on_the_path()
    {
        // 3x3 grid, one boundary pixel in the centre.
        float[] b = [0, 0, 0, 0, 0.9f, 0, 0, 0, 0.2f];
        var dirs = AffinityPaths.Of(5).Directions.ToDictionary(d => (d.Dy, d.Dx));
        Assert.Equal(0.1f, AffinityPaths.PairAffinity(b, 3, 0, 0, dirs[(2, 2)]), 6);   // diagonal through the centre
        Assert.Equal(1f, AffinityPaths.PairAffinity(b, 3, 0, 0, dirs[(0, 2)]), 6);     // along the clear top row
        Assert.Equal(0.8f, AffinityPaths.PairAffinity(b, 3, 2, 0, dirs[(0, 2)]), 6);   // bottom row ends on 0.2
        Assert.Equal(0.1f, AffinityPaths.PairAffinity(b, 3, 0, 1, dirs[(2, 0)]), 6);   // middle column
    }
}
