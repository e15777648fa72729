namespace WsssOnnx.Graph.Autodiff;

/// <summary>
/// Reverse-mode automatic differentiation over a <see cref="GraphBuilder"/>'s nodes: appends the backward nodes
/// of a scalar objective with respect to chosen values (inputs or parameters) and returns the gradient values.
/// Only nodes on a path from a chosen value to the objective are differentiated; StopGradient outputs are constants.
/// </summary>
public static class GradientBuilder
{
    /// <summary>
    /// d objective / d wrt[i] for each i, appended to <paramref name="graph"/>. The objective must be a float scalar
    /// (rank 0, or one element); a value the objective does not depend on gets zeros.
    /// </summary>
    public static IReadOnlyList<Value> Gradients(GraphBuilder graph, Value objective, IReadOnlyList<Value> wrt)
    {
        if (objective.IsStatic && objective.Shape.Aggregate(1L, (p, d) => p * d) != 1)
            throw new ArgumentException($"the objective must be a scalar; {objective} is not");

        // Values that depend on a differentiated value (forward reachability, stopped at StopGradient and at piecewise-constant ops).
        var live = new HashSet<string>(wrt.Select(v => v.Name), StringComparer.Ordinal);
        var nodes = graph.Nodes.ToArray(); // creation order is topological
        foreach (var node in nodes)
        {
            if (node.StopsGradient || !GradientRules.IsDifferentiable(node.OpType)) continue;
            if (node.Inputs.Any(i => i is not null && live.Contains(i.Name)))
                foreach (var o in node.Outputs) live.Add(o.Name);
        }
        if (!live.Contains(objective.Name))
            return [.. wrt.Select(graph.ZerosLike)];

        var context = new GradientContext(graph);
        var contributions = new Dictionary<string, List<Value>>(StringComparer.Ordinal)
        {
            [objective.Name] = [graph.Constant(new Packages.HostTensor<float>([1f], objective.Shape))],
        };

        for (int n = nodes.Length - 1; n >= 0; n--)
        {
            var node = nodes[n];
            if (node.StopsGradient || !node.Outputs.Any(o => contributions.ContainsKey(o.Name))) continue;
            if (!node.Inputs.Any(i => i is not null && live.Contains(i.Name))) continue;

            var dY = node.Outputs.Select(o => contributions.TryGetValue(o.Name, out var parts) ? Accumulate(graph, parts) : null).ToArray();
            var rule = GradientRules.For(node.OpType);
            var dX = rule(context, node, dY);
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                var input = node.Inputs[i];
                if (input is null || dX.Length <= i || dX[i] is not { } g || !live.Contains(input.Name)) continue;
                if (!contributions.TryGetValue(input.Name, out var list)) contributions[input.Name] = list = [];
                list.Add(g);
            }
        }

        return [.. wrt.Select(v => contributions.TryGetValue(v.Name, out var parts) ? Accumulate(graph, parts) : graph.ZerosLike(v))];
    }

    /// <summary>A value used by several consumers receives the sum of their gradients (multivariate chain rule).</summary>
    private static Value Accumulate(GraphBuilder graph, List<Value> parts)
    {
        if (parts.Count > 1)
        {
            var total = graph.Sum(parts);
            parts.Clear();
            parts.Add(total);
        }
        return parts[0];
    }
}
