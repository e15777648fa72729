using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using WsssOnnx.Packages;

namespace WsssOnnx.Runtime;

/// <summary>The outputs of one run, owned by ORT until disposed; read them in place with <see cref="Span{T}"/>.</summary>
public sealed class SessionOutputs : IDisposable
{
    private readonly IReadOnlyList<string> _names;
    private readonly IReadOnlyList<OrtValue> _values;
    private readonly IDisposable _owner;

    internal SessionOutputs(IReadOnlyList<string> names, IReadOnlyList<OrtValue> values, IDisposable owner)
    {
        _names = names;
        _values = values;
        _owner = owner;
    }

    public IReadOnlyList<string> Names => _names;

    public int Count => _values.Count;

    /// <summary>The ORT value of an output, for callers that need the native object (e.g. device-resident outputs).</summary>
    public OrtValue this[string name] => _values[IndexOf(name)];

    public long[] Shape(string name) => this[name].GetTensorTypeAndShape().Shape;

    public TensorElementType ElementType(string name) => this[name].GetTensorTypeAndShape().ElementDataType;

    /// <summary>The output's elements in ORT's buffer (CPU outputs only), valid until this object is disposed.</summary>
    public ReadOnlySpan<T> Span<T>(string name) where T : unmanaged
    {
        var value = this[name];
        var actual = value.GetTensorTypeAndShape().ElementDataType;
        var wanted = TensorElementTypes.Of<T>();
        if (actual != wanted)
            throw new InvalidOperationException($"output '{name}' holds {actual} elements, not {wanted}");
        if (typeof(T) == typeof(Half))
            return MemoryMarshal.Cast<Float16, T>(value.GetTensorDataAsSpan<Float16>());
        return value.GetTensorDataAsSpan<T>();
    }

    /// <summary>A managed copy of an output, independent of this object's lifetime.</summary>
    public HostTensor<T> ToHost<T>(string name) where T : unmanaged =>
        new(Span<T>(name).ToArray(), Shape(name));

    /// <summary>A managed copy of an output whose element type is known only at run time.</summary>
    public (Array Data, long[] Shape, TensorElementType ElementType) ToHostUntyped(string name)
    {
        var type = ElementType(name);
        Array data = type switch
        {
            TensorElementType.Float => Span<float>(name).ToArray(),
            TensorElementType.Double => Span<double>(name).ToArray(),
            TensorElementType.Int8 => Span<sbyte>(name).ToArray(),
            TensorElementType.UInt8 => Span<byte>(name).ToArray(),
            TensorElementType.Int16 => Span<short>(name).ToArray(),
            TensorElementType.UInt16 => Span<ushort>(name).ToArray(),
            TensorElementType.Int32 => Span<int>(name).ToArray(),
            TensorElementType.UInt32 => Span<uint>(name).ToArray(),
            TensorElementType.Int64 => Span<long>(name).ToArray(),
            TensorElementType.UInt64 => Span<ulong>(name).ToArray(),
            TensorElementType.Bool => Span<bool>(name).ToArray(),
            TensorElementType.Float16 => Span<Half>(name).ToArray(),
            TensorElementType.BFloat16 => Span<BFloat16>(name).ToArray(),
            _ => throw new NotSupportedException($"output '{name}' has element type {type}, which is not supported here"),
        };
        return (data, Shape(name), type);
    }

    private int IndexOf(string name)
    {
        for (int i = 0; i < _names.Count; i++)
        {
            if (_names[i] == name) return i;
        }
        throw new KeyNotFoundException($"no output named '{name}' (outputs: {string.Join(", ", _names)})");
    }

    public void Dispose() => _owner.Dispose();
}
