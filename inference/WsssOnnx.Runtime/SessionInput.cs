using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using WsssOnnx.Packages;

namespace WsssOnnx.Runtime;

/// <summary>
/// A named input: an ORT tensor value laid over a pinned managed buffer (no copy). The buffer stays pinned
/// until this is disposed; the caller must not resize or replace it meanwhile.
/// </summary>
public sealed class SessionInput : IDisposable
{
    private MemoryHandle _pin;

    private SessionInput(string name, OrtValue value, MemoryHandle pin)
    {
        Name = name;
        Value = value;
        _pin = pin;
    }

    public string Name { get; }

    public OrtValue Value { get; }

    public static SessionInput Create<T>(string name, HostTensor<T> tensor) where T : unmanaged =>
        Create(name, tensor.Data, tensor.Shape);

    /// <summary>Wraps <paramref name="data"/> (row-major, element count = product of <paramref name="shape"/>).</summary>
    public static unsafe SessionInput Create<T>(string name, T[] data, long[] shape) where T : unmanaged
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        long count = HostTensor<T>.ElementCount(shape);
        if (count != data.LongLength)
            throw new ArgumentException($"input '{name}': shape [{string.Join(", ", shape)}] needs {count} elements, the buffer has {data.LongLength}");
        var elementType = TensorElementTypes.Of<T>();
        var pin = new Memory<T>(data).Pin();
        try
        {
            var value = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, elementType, (long[])shape.Clone(),
                (IntPtr)pin.Pointer, count * Unsafe.SizeOf<T>());
            return new SessionInput(name, value, pin);
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    /// <summary>Wraps an array of any supported element type (used where the type is known only at run time).</summary>
    public static SessionInput CreateUntyped(string name, Array data, long[] shape)
    {
        // Switch on the exact array type: the CLR lets `byte[] is sbyte[]` (and int/uint, long/ulong) succeed.
        var type = data.GetType();
        return type == typeof(float[]) ? Create(name, (float[])data, shape)
            : type == typeof(double[]) ? Create(name, (double[])data, shape)
            : type == typeof(sbyte[]) ? Create(name, (sbyte[])data, shape)
            : type == typeof(byte[]) ? Create(name, (byte[])data, shape)
            : type == typeof(short[]) ? Create(name, (short[])data, shape)
            : type == typeof(ushort[]) ? Create(name, (ushort[])data, shape)
            : type == typeof(int[]) ? Create(name, (int[])data, shape)
            : type == typeof(uint[]) ? Create(name, (uint[])data, shape)
            : type == typeof(long[]) ? Create(name, (long[])data, shape)
            : type == typeof(ulong[]) ? Create(name, (ulong[])data, shape)
            : type == typeof(bool[]) ? Create(name, (bool[])data, shape)
            : type == typeof(Half[]) ? Create(name, (Half[])data, shape)
            : type == typeof(BFloat16[]) ? Create(name, (BFloat16[])data, shape)
            : throw new NotSupportedException($"input '{name}': arrays of {type.GetElementType()?.Name} are not supported");
    }

    public void Dispose()
    {
        Value.Dispose();
        _pin.Dispose();
    }
}
