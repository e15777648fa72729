using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// ACoL's map arithmetic (Zhang et al., CVPR 2018, sec. 3; the official code's normalize_atten_maps, erase_feature_maps and
/// get_localization_maps), on class maps S [N, C, h, w].
/// </summary>
public static class AcolMaps
{
    /// <summary>Floor of max S - min S, so that a flat map normalises to 0 instead of NaN (the official code has none).</summary>
    public const float RangeFloor = 1e-5f;

    /// <summary>norm(S) = (S - min S) / max(max S - min S, 1e-5), per (n, c) over (h, w); min is written -max(-S) so ReduceMax's gradient rule covers it.</summary>
    public static Value Normalised(GraphBuilder g, Value s)
    {
        var low = -g.ReduceMax(-s, [2, 3]);
        var high = g.ReduceMax(s, [2, 3]);
        return (s - low) / g.Clip(high - low, RangeFloor, null);
    }

    /// <summary>
    /// The erasing mask M [N, 1, h, w] = 1[max over selected c of norm(S_c) &gt;= delta], <paramref name="selected"/> float [N, C] in
    /// {0, 1} (the paper erases with the ground-truth class; several classes erase the union of their regions). A constant for the gradient.
    /// </summary>
    public static Value EraseMask(GraphBuilder g, Value s, Value selected, float delta)
    {
        // norm >= 0, so an unselected class (0 * norm) never reaches delta > 0.
        var peak = g.ReduceMax(Normalised(g, s) * g.Unsqueeze(selected, 2, 3), [1]);
        return g.StopGradient(g.Cast(g.Not(g.Less(peak, g.Scalar(delta))), DataType.Float));
    }

    /// <summary>f (1 - M): every channel of the features zeroed where the mask is 1.</summary>
    public static Value Erase(GraphBuilder g, Value features, Value mask) => features * (g.Scalar(1f) - mask);

    /// <summary>
    /// The localisation map: max(norm S_A, norm S_B) elementwise (get_localization_maps), times head A's peak
    /// R_c = max(0, max S_A,c) so it keeps the scale of head A's CAM (AdvCAM's lambda and scale g keep their meaning).
    /// The max is a Where so that its gradient goes to the larger map.
    /// </summary>
    public static Value Fused(GraphBuilder g, Value first, Value second)
    {
        var a = Normalised(g, first);
        var b = Normalised(g, second);
        return g.Where(g.Less(a, b), b, a) * g.Relu(g.ReduceMax(first, [2, 3]));
    }

    /// <summary>
    /// The classes whose regions erase when no label is given (inference): those predicted present (z &gt; 0, i.e. sigmoid &gt; 1/2)
    /// and the top-scoring one, float [N, C] in {0, 1}, a constant for the gradient.
    /// </summary>
    public static Value PredictedClasses(GraphBuilder g, Value logits)
    {
        var present = g.Cast(g.Greater(logits, g.Scalar(0f)), DataType.Float);
        var top = g.Cast(g.Equal(logits, g.ReduceMax(logits, [1])), DataType.Float);
        return g.StopGradient(g.Max(present, top));
    }
}
