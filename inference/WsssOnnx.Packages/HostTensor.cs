namespace WsssOnnx.Packages;

/// <summary>
/// A dense, row-major tensor in managed memory: the exchange type between our components and ONNX Runtime.
/// The buffer is used in place (pinned) when fed to a session, never copied.
/// </summary>
public sealed class HostTensor<T> where T : unmanaged
{
    public HostTensor(T[] data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long count = ElementCount(shape);
        if (count != data.LongLength)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {count} elements but the buffer has {data.LongLength}", nameof(data));
        Data = data;
        Shape = (long[])shape.Clone();
    }

    /// <summary>A tensor of zeros. (A factory, not a constructor: for T = long a shape and a data array would look alike.)</summary>
    public static HostTensor<T> Zeros(params long[] shape) => new(new T[ElementCount(shape)], shape);

    public T[] Data { get; }

    public long[] Shape { get; }

    public int Rank => Shape.Length;

    public long Length => Data.LongLength;

    public Span<T> Span => Data;

    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d} in a shape");
            count = checked(count * d);
        }
        return count;
    }

    public override string ToString() => $"{typeof(T).Name}[{string.Join(", ", Shape)}]";
}
