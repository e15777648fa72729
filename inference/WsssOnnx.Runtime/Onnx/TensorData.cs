using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using WsssOnnx.Onnx;
using WsssOnnx.Packages;
using WsssOnnx.Packages.Onnx;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Runtime.Onnx;

/// <summary>
/// A tensor whose element type is known only at run time, as read from a TensorProto, in ONNX Runtime's types.
/// <see cref="Data"/> is a <c>T[]</c> of the managed type for <see cref="ElementType"/> (System.Half for float16,
/// ONNX Runtime's BFloat16 for bfloat16), dense and row-major over <see cref="Shape"/>.
/// </summary>
public sealed class TensorData
{
    internal TensorData(string name, TensorElementType elementType, long[] shape, Array data)
    {
        Name = name;
        ElementType = elementType;
        Shape = shape;
        Data = data;
    }

    /// <summary>The TensorProto's name; empty for an unnamed tensor.</summary>
    public string Name { get; }

    /// <summary>The element type; its numeric value is the ONNX TensorProto.DataType number.</summary>
    public TensorElementType ElementType { get; }

    public long[] Shape { get; }

    public Array Data { get; }

    /// <summary>Parses a serialized TensorProto (the .pb files of ONNX's node tests) and reads it.</summary>
    public static TensorData Parse(ReadOnlySpan<byte> serialized)
    {
        TensorProto proto;
        try
        {
            proto = TensorProto.Parser.ParseFrom(serialized);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException($"the bytes are not a serialized TensorProto: {e.Message}", e);
        }
        return Read(proto);
    }

    public static TensorData ReadFile(string path)
    {
        try
        {
            return Parse(File.ReadAllBytes(path));
        }
        catch (OnnxFormatException e)
        {
            throw new OnnxFormatException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads a tensor by the storage rules of <see cref="TensorProtoReader"/>.</summary>
    public static TensorData Read(TensorProto tensor)
    {
        var (type, shape, data) = TensorProtoReader.ReadElements(tensor);
        // The reader gives bfloat16 as its 16-bit patterns; ONNX Runtime's BFloat16 holds the same bits.
        if (type == DataType.Bfloat16) data = Array.ConvertAll((ushort[])data, static bits => new BFloat16(bits));
        return new TensorData(tensor.Name, (TensorElementType)type, shape, data);
    }

    /// <summary>The same buffer as a typed tensor (no copy); <typeparamref name="T"/> must be exactly the element's managed type.</summary>
    public HostTensor<T> As<T>() where T : unmanaged
    {
        // Exact type test: the CLR lets `byte[] is sbyte[]` (and int/uint, long/ulong) succeed.
        if (Data.GetType() != typeof(T[]))
            throw new InvalidCastException($"{TensorProtoReader.Describe(Name)} holds {ElementType} elements ({Data.GetType().GetElementType()!.Name}), not {typeof(T).Name}");
        return new HostTensor<T>((T[])Data, Shape);
    }

    public override string ToString() => $"{ElementType}[{string.Join(", ", Shape)}] '{Name}'";
}
