using System.Runtime.InteropServices;
using Google.Protobuf;
using WsssOnnx.Onnx;

namespace WsssOnnx.Runtime.Onnx;

/// <summary>Turns managed tensors into ONNX TensorProto messages (initializers, test inputs).</summary>
public static class TensorProtoWriter
{
    /// <summary>
    /// A TensorProto holding <paramref name="tensor"/> in raw_data: the elements' little-endian bytes, row-major,
    /// which is ONNX's compact storage for every fixed-size type (one memcpy; no per-element tag as in the typed fields).
    /// </summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no ONNX element type.</exception>
    public static TensorProto Write<T>(HostTensor<T> tensor, string name = "") where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(name);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("TensorProto raw_data is little-endian and this writer copies memory as is");

        var proto = new TensorProto
        {
            Name = name,
            DataType = (int)TensorElementTypes.Of<T>(),
            RawData = RawBytes(tensor.Data),
        };
        proto.Dims.AddRange(tensor.Shape);
        return proto;
    }

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
