using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace WsssOnnx.Runtime;

/// <summary>Maps managed element types to ONNX tensor element types (values as in onnx.proto's DataType).</summary>
internal static class TensorElementTypes
{
    public static TensorElementType Of<T>() where T : unmanaged => Of(typeof(T));

    public static TensorElementType Of(Type t) =>
        t == typeof(float) ? TensorElementType.Float
        : t == typeof(double) ? TensorElementType.Double
        : t == typeof(sbyte) ? TensorElementType.Int8
        : t == typeof(byte) ? TensorElementType.UInt8
        : t == typeof(short) ? TensorElementType.Int16
        : t == typeof(ushort) ? TensorElementType.UInt16
        : t == typeof(int) ? TensorElementType.Int32
        : t == typeof(uint) ? TensorElementType.UInt32
        : t == typeof(long) ? TensorElementType.Int64
        : t == typeof(ulong) ? TensorElementType.UInt64
        : t == typeof(bool) ? TensorElementType.Bool
        : t == typeof(Half) || t == typeof(Float16) ? TensorElementType.Float16
        : t == typeof(BFloat16) ? TensorElementType.BFloat16
        : throw new NotSupportedException($"element type {t.Name} has no ONNX tensor equivalent");

    /// <summary>The managed type we use for an ONNX element type (System.Half for float16).</summary>
    public static Type ManagedType(TensorElementType t) => t switch
    {
        TensorElementType.Float => typeof(float),
        TensorElementType.Double => typeof(double),
        TensorElementType.Int8 => typeof(sbyte),
        TensorElementType.UInt8 => typeof(byte),
        TensorElementType.Int16 => typeof(short),
        TensorElementType.UInt16 => typeof(ushort),
        TensorElementType.Int32 => typeof(int),
        TensorElementType.UInt32 => typeof(uint),
        TensorElementType.Int64 => typeof(long),
        TensorElementType.UInt64 => typeof(ulong),
        TensorElementType.Bool => typeof(bool),
        TensorElementType.Float16 => typeof(Half),
        TensorElementType.BFloat16 => typeof(BFloat16),
        _ => throw new NotSupportedException($"ONNX element type {t} is not supported here"),
    };
}
