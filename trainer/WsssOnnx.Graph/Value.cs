using WsssOnnx.Onnx;

namespace WsssOnnx.Graph;

/// <summary>
/// A tensor in a graph under construction: its ONNX name, element type and shape as far as it is known
/// at build time (-1 marks a dimension known only at run time; the rank is always known).
/// </summary>
public sealed class Value
{
    internal Value(GraphBuilder owner, string name, TensorProto.Types.DataType type, long[] shape, GraphNode? producer)
    {
        Owner = owner;
        Name = name;
        Type = type;
        Shape = shape;
        Producer = producer;
    }

    internal GraphBuilder Owner { get; }

    public string Name { get; }

    public TensorProto.Types.DataType Type { get; }

    public long[] Shape { get; }

    public int Rank => Shape.Length;

    /// <summary>The node that computes this value; null for graph inputs and initializers.</summary>
    public GraphNode? Producer { get; }

    public bool IsStatic => Shape.All(d => d >= 0);

    /// <summary>Dimension <paramref name="axis"/> (negative counts from the end), -1 when unknown.</summary>
    public long Dim(int axis) => Shape[axis < 0 ? axis + Rank : axis];

    public static Value operator +(Value a, Value b) => a.Owner.Add(a, b);

    public static Value operator -(Value a, Value b) => a.Owner.Sub(a, b);

    public static Value operator *(Value a, Value b) => a.Owner.Mul(a, b);

    public static Value operator /(Value a, Value b) => a.Owner.Div(a, b);

    public static Value operator -(Value a) => a.Owner.Neg(a);

    public static Value operator *(Value a, float b) => a.Owner.Mul(a, a.Owner.Scalar(b));

    public static Value operator *(float a, Value b) => b.Owner.Mul(b.Owner.Scalar(a), b);

    public override string ToString() => $"{Name}: {Type}[{string.Join(", ", Shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
