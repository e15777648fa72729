using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Google.Protobuf;
using WsssOnnx.Onnx;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Packages.Onnx;

/// <summary>Turns managed tensors into ONNX TensorProto messages (initializers, test inputs).</summary>
public static class TensorProtoWriter
{
    /// <summary>
    /// A TensorProto holding <paramref name="tensor"/> in raw_data: the elements' little-endian bytes, row-major,
    /// which is ONNX's compact storage for every fixed-size type (one memcpy; no per-element tag as in the typed fields).
    /// </summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no ONNX element type.</exception>
    public static TensorProto Write<T>(HostTensor<T> tensor, string name = "") where T : unmanaged =>
        Write(tensor, OnnxElementTypes.Of<T>(), name);

    /// <summary>
    /// The same, with the elements declared as ONNX type <paramref name="elementType"/>: for a <typeparamref name="T"/> of that
    /// size that <see cref="OnnxElementTypes"/> does not know (ONNX Runtime's BFloat16, or bfloat16's 16-bit patterns as ushort).
    /// </summary>
    public static TensorProto Write<T>(HostTensor<T> tensor, DataType elementType, string name = "") where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(name);
        if (Unsafe.SizeOf<T>() != ElementSize(elementType))
            throw new ArgumentException($"{typeof(T).Name} has {Unsafe.SizeOf<T>()} bytes, {elementType} elements {ElementSize(elementType)}", nameof(elementType));
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("TensorProto raw_data is little-endian and this writer copies memory as is");

        var proto = new TensorProto
        {
            Name = name,
            DataType = (int)elementType,
            RawData = RawBytes(tensor.Data),
        };
        proto.Dims.AddRange(tensor.Shape);
        return proto;
    }

    private static int ElementSize(DataType type) => type switch
    {
        DataType.Double or DataType.Int64 or DataType.Uint64 => 8,
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Float16 or DataType.Bfloat16 or DataType.Int16 or DataType.Uint16 => 2,
        DataType.Int8 or DataType.Uint8 or DataType.Bool => 1,
        _ => throw new NotSupportedException($"ONNX element type {type} has no fixed-size raw_data"),
    };

    private static ByteString RawBytes<T>(T[] data) where T : unmanaged
    {
        if (data is bool[] flags)
        {
            // ONNX bool is one byte, 0 or 1; a CLR bool can hold another nonzero byte, so normalise rather than copy.
            var bytes = new byte[flags.Length];
            for (int i = 0; i < flags.Length; i++)
                bytes[i] = flags[i] ? (byte)1 : (byte)0;
            return UnsafeByteOperations.UnsafeWrap(bytes);
        }
        return ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
    }
}
