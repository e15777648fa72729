using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Google.Protobuf.Collections;
using WsssOnnx.Onnx;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Packages.Onnx;

/// <summary>An ONNX file's content is malformed, or uses a feature this project does not read; the message says which.</summary>
public sealed class OnnxFormatException : Exception
{
    public OnnxFormatException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// Reads ONNX TensorProto messages (initializers, node-test .pb files) into managed tensors.
/// Storage rules (onnx.proto, TensorProto): the elements are in exactly one of raw_data (little-endian, row-major,
/// no padding) or the typed field for the data type: float_data for float; double_data for double; int64_data for
/// int64; uint64_data for uint32 and uint64; int32_data for int32, int16, int8, uint16, uint8, bool (0 or 1) and
/// for float16/bfloat16 as their 16-bit patterns, zero-extended.
/// </summary>
public static class TensorProtoReader
{
    private const string Supported = "float, double, int8, uint8, int16, uint16, int32, int64, uint32, uint64, bool, float16, bfloat16";

    /// <summary>Reads a tensor whose element type the caller knows; a different stored type throws <see cref="InvalidCastException"/>.</summary>
    public static HostTensor<T> Read<T>(TensorProto tensor) where T : unmanaged
    {
        var (type, shape, data) = ReadElements(tensor);
        // Exact type test: the CLR lets `byte[] is sbyte[]` (and int/uint, long/ulong) succeed; bfloat16's patterns are not uint16 values.
        if (type == DataType.Bfloat16 || data.GetType() != typeof(T[]))
            throw new InvalidCastException($"{Describe(tensor.Name)} holds {TypeName(tensor)} elements, not {typeof(T).Name}");
        return new HostTensor<T>((T[])data, shape);
    }

    /// <summary>
    /// The element type, dims and elements of a tensor whose type is known only at run time: a <c>T[]</c> of
    /// <see cref="OnnxElementTypes.ManagedType"/> of the type (System.Half for float16), dense and row-major; bfloat16, which .NET
    /// has no type for, as its 16-bit patterns in a <c>ushort[]</c>.
    /// </summary>
    public static (DataType ElementType, long[] Shape, Array Data) ReadElements(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        string what = Describe(tensor.Name);
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0)
        {
            string location = tensor.ExternalData.FirstOrDefault(e => e.Key == "location")?.Value ?? "?";
            throw new OnnxFormatException($"{what} keeps its data in an external file ('{location}'); external data is not supported");
        }
        if (tensor.Segment is not null)
            throw new OnnxFormatException($"{what} is a segment [{tensor.Segment.Begin}, {tensor.Segment.End}) of a larger tensor; segmented tensors are not supported");

        long[] shape = [.. tensor.Dims];
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0)
                throw new OnnxFormatException($"{what} has a negative dimension in dims [{string.Join(", ", shape)}]");
            count = d == 0 || count <= Array.MaxLength / d ? count * d : long.MaxValue;
        }
        if (count > Array.MaxLength)
            throw new OnnxFormatException($"{what} has dims [{string.Join(", ", shape)}], more elements than a managed array holds ({Array.MaxLength})");

        var type = (DataType)tensor.DataType;
        Array data = type switch
        {
            DataType.Float => Values(tensor, count, "float_data", tensor.FloatData, static v => v),
            DataType.Double => Values(tensor, count, "double_data", tensor.DoubleData, static v => v),
            DataType.Int8 => Values(tensor, count, "int32_data", tensor.Int32Data, static v => checked((sbyte)v)),
            DataType.Uint8 => Values(tensor, count, "int32_data", tensor.Int32Data, static v => checked((byte)v)),
            DataType.Int16 => Values(tensor, count, "int32_data", tensor.Int32Data, static v => checked((short)v)),
            DataType.Uint16 => Values(tensor, count, "int32_data", tensor.Int32Data, static v => checked((ushort)v)),
            DataType.Int32 => Values(tensor, count, "int32_data", tensor.Int32Data, static v => v),
            DataType.Int64 => Values(tensor, count, "int64_data", tensor.Int64Data, static v => v),
            DataType.Uint32 => Values(tensor, count, "uint64_data", tensor.Uint64Data, static v => checked((uint)v)),
            DataType.Uint64 => Values(tensor, count, "uint64_data", tensor.Uint64Data, static v => v),
            DataType.Bool => Values(tensor, count, "int32_data", tensor.Int32Data, static v => v switch { 0 => false, 1 => true, _ => throw new OverflowException() }),
            DataType.Float16 => Values(tensor, count, "int32_data", tensor.Int32Data, static v => BitConverter.UInt16BitsToHalf(checked((ushort)v))),
            DataType.Bfloat16 => Values(tensor, count, "int32_data", tensor.Int32Data, static v => checked((ushort)v)),
            _ => throw new OnnxFormatException($"{what} has element type {TypeName(tensor)}; this reader supports {Supported}"),
        };
        return (type, shape, data);
    }

    /// <summary>How messages about a tensor name it.</summary>
    public static string Describe(string name) => name.Length == 0 ? "an unnamed tensor" : $"tensor '{name}'";

    // ONNX's own spelling (uint8, float16, ...) for messages; a number outside the enum prints as itself.
    private static string TypeName(TensorProto tensor) =>
        Enum.IsDefined((DataType)tensor.DataType)
            ? ((DataType)tensor.DataType).ToString().ToLowerInvariant()
            : tensor.DataType.ToString(CultureInfo.InvariantCulture) + " (not an ONNX data type)";

    /// <summary>The elements from raw_data or from <paramref name="typed"/>, the one typed field the storage rule allows for the type.</summary>
    private static T[] Values<TStored, T>(TensorProto tensor, long count, string typedName, RepeatedField<TStored> typed, Func<TStored, T> convert)
        where T : unmanaged
    {
        string what = Describe(tensor.Name);
        var used = ValueFields(tensor).Where(f => f.Count > 0).Select(f => f.Name).ToList();
        if (used.Count > 1)
            throw new OnnxFormatException($"{what} stores values in both {string.Join(" and ", used)}; ONNX allows exactly one value field");
        if (used.Count == 1 && used[0] != "raw_data" && used[0] != typedName)
            throw new OnnxFormatException($"{what} is {TypeName(tensor)}, whose values belong in raw_data or {typedName}, but it uses {used[0]}");

        if (!tensor.RawData.IsEmpty)
            return FromRaw<T>(tensor, count);
        if (typed.Count != count)
        {
            throw new OnnxFormatException(typed.Count == 0
                ? $"{what} has dims [{string.Join(", ", tensor.Dims)}] ({count} elements) but no values (raw_data and {typedName} are empty)"
                : $"{what} has dims [{string.Join(", ", tensor.Dims)}] ({count} elements) but {typedName} holds {typed.Count} values");
        }

        var result = new T[count];
        for (int i = 0; i < result.Length; i++)
        {
            try
            {
                result[i] = convert(typed[i]);
            }
            catch (OverflowException)
            {
                throw new OnnxFormatException($"{what}: {typedName}[{i}] = {typed[i]} is not a valid {TypeName(tensor)} value");
            }
        }
        return result;
    }

    private static T[] FromRaw<T>(TensorProto tensor, long count) where T : unmanaged
    {
        // raw_data is little-endian by the spec; the copy below is a plain memcpy, right only on a little-endian host.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("TensorProto raw_data is little-endian and this reader copies it as is");
        ReadOnlySpan<byte> raw = tensor.RawData.Span;
        long needed = count * Unsafe.SizeOf<T>();
        if (raw.Length != needed)
            throw new OnnxFormatException($"{Describe(tensor.Name)} has dims [{string.Join(", ", tensor.Dims)}] ({count} {TypeName(tensor)} elements, {needed} bytes) " +
                $"but raw_data holds {raw.Length} bytes");
        if (typeof(T) == typeof(bool))
        {
            int bad = raw.IndexOfAnyExcept((byte)0, (byte)1);
            if (bad >= 0)
                throw new OnnxFormatException($"{Describe(tensor.Name)}: raw_data byte {bad} is {raw[bad]}, not a bool (0 or 1)");
        }
        var result = new T[count];
        raw.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    private static IEnumerable<(string Name, int Count)> ValueFields(TensorProto t)
    {
        yield return ("raw_data", t.RawData.Length);
        yield return ("float_data", t.FloatData.Count);
        yield return ("int32_data", t.Int32Data.Count);
        yield return ("string_data", t.StringData.Count);
        yield return ("int64_data", t.Int64Data.Count);
        yield return ("double_data", t.DoubleData.Count);
        yield return ("uint64_data", t.Uint64Data.Count);
    }
}
