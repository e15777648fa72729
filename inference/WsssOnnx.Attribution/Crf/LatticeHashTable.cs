namespace WsssOnnx.Attribution.Crf;

/// <summary>
/// Maps permutohedral lattice points (d integer coordinates; the (d+1)-th is minus their sum) to dense vertex
/// indices 0, 1, 2, … in order of insertion. Open addressing with linear probing over a power-of-two table, kept at
/// most half full. A slot holds the key itself and vertex + 1 (0: empty), so a probe touches one place in memory:
/// the look-ups are random accesses into a table larger than the caches, and they dominate building a lattice.
/// </summary>
internal sealed class LatticeHashTable
{
    private readonly int _d;
    private readonly int _slotSize;   // d + 1 ints: the key, then vertex + 1
    private int[] _slots;
    private int[] _keys;              // vertex v's key is _keys[v·d .. v·d + d), for enumeration by vertex
    private int _mask;

    public LatticeHashTable(int dimensions, int expectedVertices)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        _d = dimensions;
        _slotSize = dimensions + 1;
        int capacity = 64;
        while (capacity < 2L * Math.Max(expectedVertices, 1) && capacity < (1 << 28)) capacity <<= 1;
        _slots = new int[checked(capacity * _slotSize)];
        _mask = capacity - 1;
        _keys = new int[checked(Math.Max(expectedVertices, 16) * dimensions)];
    }

    public int Count { get; private set; }

    /// <summary>Vertex v's coordinates (d of them).</summary>
    public ReadOnlySpan<int> Key(int vertex) => _keys.AsSpan(vertex * _d, _d);

    /// <summary>The vertex index of <paramref name="key"/>, inserting it if new.</summary>
    public int FindOrInsert(ReadOnlySpan<int> key)
    {
        int slot = Probe(key);
        int stored = _slots[slot * _slotSize + _d];
        if (stored != 0) return stored - 1;

        int vertex = Count;
        if ((vertex + 1) * _d > _keys.Length) Array.Resize(ref _keys, checked(2 * _keys.Length));
        key.CopyTo(_keys.AsSpan(vertex * _d, _d));
        key.CopyTo(_slots.AsSpan(slot * _slotSize, _d));
        _slots[slot * _slotSize + _d] = vertex + 1;
        Count = vertex + 1;
        if (2L * Count > _mask + 1) Grow();
        return vertex;
    }

    /// <summary>The vertex index of <paramref name="key"/>, or −1 when the lattice has no such vertex.</summary>
    public int Find(ReadOnlySpan<int> key) => _slots[Probe(key) * _slotSize + _d] - 1;

    // The slot holding key, or the empty slot where it would go.
    private int Probe(ReadOnlySpan<int> key)
    {
        int[] slots = _slots;
        int size = _slotSize, d = _d;
        int slot = (int)(Hash(key) & (uint)_mask);
        while (true)
        {
            int at = slot * size;
            if (slots[at + d] == 0) return slot;
            int k = 0;
            while (k < d && slots[at + k] == key[k]) k++;
            if (k == d) return slot;
            slot = (slot + 1) & _mask;
        }
    }

    private void Grow()
    {
        int capacity = checked(2 * (_mask + 1));
        _slots = new int[checked(capacity * _slotSize)];
        _mask = capacity - 1;
        for (int v = 0; v < Count; v++)
        {
            ReadOnlySpan<int> key = Key(v);
            int slot = Probe(key);
            key.CopyTo(_slots.AsSpan(slot * _slotSize, _d));
            _slots[slot * _slotSize + _d] = v + 1;
        }
    }

    // Multiply-xorshift mixing of the coordinates; the final avalanche makes the low bits usable as a slot index.
    private static uint Hash(ReadOnlySpan<int> key)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (int k in key)
            h = (h ^ (uint)k) * 0xBF58476D1CE4E5B9UL;
        h ^= h >> 31;
        h *= 0x94D049BB133111EBUL;
        h ^= h >> 29;
        return (uint)h;
    }
}
