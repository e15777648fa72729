using WsssOnnx.Onnx;

namespace WsssOnnx.Graph;

/// <summary>One ONNX node of a graph under construction. Optional inputs left out are null.</summary>
public sealed class GraphNode
{
    internal GraphNode(string name, string opType, Value?[] inputs, IReadOnlyList<AttributeProto> attributes)
    {
        Name = name;
        OpType = opType;
        Inputs = inputs;
        Attributes = attributes;
    }

    public string Name { get; }

    public string OpType { get; }

    public IReadOnlyList<Value?> Inputs { get; }

    public IReadOnlyList<Value> Outputs { get; internal set; } = [];

    public IReadOnlyList<AttributeProto> Attributes { get; }

    /// <summary>Autodiff treats this node's outputs as constants (an Identity in the exported graph).</summary>
    public bool StopsGradient { get; internal init; }

    public AttributeProto? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);

    public long Int(string name, long fallback) => Attribute(name) is { } a ? a.I : fallback;

    public float Float(string name, float fallback) => Attribute(name) is { } a ? a.F : fallback;

    public string String(string name, string fallback) => Attribute(name) is { } a ? a.S.ToStringUtf8() : fallback;

    public long[]? Ints(string name) => Attribute(name)?.Ints.ToArray();

    public override string ToString() => $"{OpType} {Name}({string.Join(", ", Inputs.Select(i => i?.Name ?? ""))}) -> {string.Join(", ", Outputs.Select(o => o.Name))}";
}
