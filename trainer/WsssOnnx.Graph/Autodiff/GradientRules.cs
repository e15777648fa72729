namespace WsssOnnx.Graph.Autodiff;

/// <summary>
/// A gradient rule: given a node and the gradients of its outputs (null where no gradient flows), the gradients of
/// its inputs (null where none is needed).
/// </summary>
public delegate Value?[] GradientRule(GradientContext c, GraphNode node, Value?[] dY);

/// <summary>The registry of gradient rules, one per ONNX op type.</summary>
public static partial class GradientRules
{
    private static readonly Dictionary<string, GradientRule> Rules = new(StringComparer.Ordinal);

    /// <summary>Ops whose outputs are piecewise constant or integer: no gradient flows through them.</summary>
    private static readonly HashSet<string> NonDifferentiable =
        ["Greater", "Less", "Equal", "And", "Or", "Not", "Sign", "Shape", "Size", "ConstantOfShape", "ArgMax", "Floor", "Ceil", "Round"];

    static GradientRules()
    {
        RegisterElementwise();
        RegisterShape();
        RegisterReductions();
        RegisterLinear();
    }

    /// <summary>False for ops through which no gradient flows (comparisons, shapes, counts).</summary>
    public static bool IsDifferentiable(string opType) => !NonDifferentiable.Contains(opType);

    public static bool Has(string opType) => Rules.ContainsKey(opType) || NonDifferentiable.Contains(opType);

    public static GradientRule For(string opType) =>
        Rules.TryGetValue(opType, out var rule) ? rule
        : NonDifferentiable.Contains(opType) ? static (_, _, _) => []
        : throw new NotSupportedException($"no gradient rule for ONNX op '{opType}'");

    private static void Register(string opType, GradientRule rule) => Rules.Add(opType, rule);

    /// <summary>The node's input <paramref name="i"/> (must be present).</summary>
    private static Value In(this GraphNode node, int i) => node.Inputs[i] ?? throw new InvalidOperationException($"{node} has no input {i}");
}
