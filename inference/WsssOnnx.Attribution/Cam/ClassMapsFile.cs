using System.Buffers.Binary;
using System.Text;
using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Cam;

/// <summary>
/// The full-size maps of a <see cref="ClassMaps"/> on disk, so that seed thresholds can be swept without running the
/// network again. Little-endian: the 8 ASCII bytes "WSSSMAPS", int32 version (1), width, height, class count P, P int32
/// foreground class indices, then P x height x width IEEE half floats (class-major). Half precision: the maps are in
/// [0, 1] after max-normalisation, where a half's step is at most 2⁻¹¹ ≈ 0.0005, far below a sweep's 0.05; the
/// stride-4 maps are not kept (they are read back as an empty [P, 0, 0]).
/// </summary>
public static class ClassMapsFile
{
    public const string Extension = ".maps";
    private const int Version = 1;
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("WSSSMAPS");

    public static byte[] Write(ClassMaps maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        int p = maps.Classes.Count, plane = maps.Width * maps.Height;
        var bytes = new byte[Magic.Length + 16 + 4 * p + 2L * p * plane];
        Magic.CopyTo(bytes, 0);
        var span = bytes.AsSpan(Magic.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span, Version);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], maps.Width);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], maps.Height);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], p);
        span = span[16..];
        for (int k = 0; k < p; k++) BinaryPrimitives.WriteInt32LittleEndian(span[(4 * k)..], maps.Classes[k]);
        span = span[(4 * p)..];
        var data = maps.Full.Data;
        for (int i = 0; i < p * plane; i++) BinaryPrimitives.WriteHalfLittleEndian(span[(2 * i)..], (Half)data[i]);
        return bytes;
    }

    /// <exception cref="InvalidDataException">Not a maps file of this version, or cut short; the message names <paramref name="source"/>.</exception>
    public static ClassMaps Read(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < Magic.Length + 16 || !bytes[..Magic.Length].SequenceEqual(Magic))
            throw new InvalidDataException($"{source} is not a class-maps file (no WSSSMAPS header)");
        var span = bytes[Magic.Length..];
        int version = BinaryPrimitives.ReadInt32LittleEndian(span);
        int width = BinaryPrimitives.ReadInt32LittleEndian(span[4..]), height = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        int p = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        if (version != Version) throw new InvalidDataException($"{source} is a class-maps file of version {version}; this build reads version {Version}");
        if (width is < 1 or > 1 << 16 || height is < 1 or > 1 << 16 || p is < 0 or > 254)
            throw new InvalidDataException($"{source} declares {p} maps of {width}x{height}, which is out of range");
        long plane = (long)width * height;
        span = span[16..];
        if (span.Length != 4L * p + 2 * p * plane)
            throw new InvalidDataException($"{source} has {span.Length} bytes of maps; {p} maps of {width}x{height} need {4L * p + 2 * p * plane}");
        var classes = new int[p];
        for (int k = 0; k < p; k++) classes[k] = BinaryPrimitives.ReadInt32LittleEndian(span[(4 * k)..]);
        span = span[(4 * p)..];
        var full = HostTensor<float>.Zeros(p, height, width);
        for (int i = 0; i < full.Data.Length; i++) full.Data[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(span[(2 * i)..]);
        return new ClassMaps(classes, HostTensor<float>.Zeros(p, 0, 0), full);
    }
}
