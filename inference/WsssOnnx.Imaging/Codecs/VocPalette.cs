namespace WsssOnnx.Imaging;

/// <summary>
/// The PASCAL VOC colour map: 256 colours, where the bits of index i are dealt out from the top bit down,
/// bit 3j to red, 3j+1 to green, 3j+2 to blue, bit (7 − j) of each channel. So 0 is black, 1 (128, 0, 0),
/// 15 (person) (192, 128, 128) and 255 (ignore) (224, 224, 192).
/// </summary>
public static class VocPalette
{
    public const int Count = 256;

    private static readonly byte[] Table = Build();

    /// <summary>The colour of class index <paramref name="index"/>.</summary>
    public static (byte R, byte G, byte B) Color(byte index) => (Table[3 * index], Table[3 * index + 1], Table[3 * index + 2]);

    /// <summary>All 256 colours as R, G, B triplets.</summary>
    internal static ReadOnlySpan<byte> Rgb => Table;

    private static byte[] Build()
    {
        var table = new byte[3 * Count];
        for (int i = 0; i < Count; i++)
        {
            int r = 0, g = 0, b = 0, c = i;
            for (int j = 0; j < 8; j++, c >>= 3)
            {
                r |= (c & 1) << (7 - j);
                g |= (c >> 1 & 1) << (7 - j);
                b |= (c >> 2 & 1) << (7 - j);
            }
            (table[3 * i], table[3 * i + 1], table[3 * i + 2]) = ((byte)r, (byte)g, (byte)b);
        }
        return table;
    }
}
