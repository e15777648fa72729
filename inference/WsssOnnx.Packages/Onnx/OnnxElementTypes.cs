using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Packages.Onnx;

/// <summary>
/// Maps managed element types to ONNX element types (onnx.proto's DataType), for the types .NET has: bfloat16 has none
/// (ONNX Runtime's Float16 and BFloat16 are mapped in WsssOnnx.Runtime).
/// </summary>
public static class OnnxElementTypes
{
    public static DataType Of<T>() where T : unmanaged => Of(typeof(T));

    public static DataType Of(Type t) =>
        t == typeof(float) ? DataType.Float
        : t == typeof(double) ? DataType.Double
        : t == typeof(sbyte) ? DataType.Int8
        : t == typeof(byte) ? DataType.Uint8
        : t == typeof(short) ? DataType.Int16
        : t == typeof(ushort) ? DataType.Uint16
        : t == typeof(int) ? DataType.Int32
        : t == typeof(uint) ? DataType.Uint32
        : t == typeof(long) ? DataType.Int64
        : t == typeof(ulong) ? DataType.Uint64
        : t == typeof(bool) ? DataType.Bool
        : t == typeof(Half) ? DataType.Float16
        : throw new NotSupportedException($"element type {t.Name} has no ONNX tensor equivalent");

    /// <summary>The managed type we use for an ONNX element type (System.Half for float16).</summary>
    public static Type ManagedType(DataType t) => t switch
    {
        DataType.Float => typeof(float),
        DataType.Double => typeof(double),
        DataType.Int8 => typeof(sbyte),
        DataType.Uint8 => typeof(byte),
        DataType.Int16 => typeof(short),
        DataType.Uint16 => typeof(ushort),
        DataType.Int32 => typeof(int),
        DataType.Uint32 => typeof(uint),
        DataType.Int64 => typeof(long),
        DataType.Uint64 => typeof(ulong),
        DataType.Bool => typeof(bool),
        DataType.Float16 => typeof(Half),
        _ => throw new NotSupportedException($"ONNX element type {t} is not supported here"),
    };
}
