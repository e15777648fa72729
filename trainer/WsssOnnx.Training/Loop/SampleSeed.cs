namespace WsssOnnx.Training.Loop;

/// <summary>Deterministic per-sample random streams: the same (seed, epoch, index) always draws the same augmentation.</summary>
internal static class SampleSeed
{
    /// <summary>SplitMix64 finaliser over the three numbers (unlike HashCode, stable across processes).</summary>
    public static int Of(int seed, int epoch, int index)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)epoch * 0xC2B2AE3D27D4EB4FUL ^ (ulong)(uint)index * 0x165667B19E3779F9UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    /// <summary>The order samples are visited in during <paramref name="epoch"/>.</summary>
    public static int[] Permutation(int seed, int epoch, int count)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(Of(seed, epoch, -1)).Shuffle(order);
        return order;
    }
}
