using WsssOnnx.Graph.Autodiff;
using WsssOnnx.Packages;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Climbing;

/// <summary>The backbone part a climbing graph is built on: features f(x) at stride 16 and the 1x1 classifier W [C, F, 1, 1].</summary>
public delegate (Value Features, Value ClassifierWeight) CamBackbone(GraphBuilder graph, Value image);

/// <summary>
/// What a climbing graph climbs on, for a batch of images: class maps S [N, C, h, w] (the attribution being g ReLU(S_c)) and
/// K_pos [C], the count of positive weights in each class's last linear layer, for the Grad-CAM scale g.
/// </summary>
public delegate (Value ClassMaps, Value PositiveWeights) CamMaps(GraphBuilder graph, Value image);

/// <summary>
/// One step of anti-adversarial climbing (AdvCAM, Lee et al. CVPR 2021) as an ONNX graph with
/// its explicit gradient: for P (image, flipped image) pairs, each with its target class, it computes the merged
/// map A_t, the objective L and dL/dx, and the next iterate x_{t+1}, in one ORT call. Its names are <see cref="ClimberContract"/>'s.
/// </summary>
public static class AdvCamGraph
{
    /// <summary>
    /// Builds the climbing step on <paramref name="backbone"/> for <paramref name="classes"/> foreground classes. The image
    /// size is free unless <paramref name="pairs"/> and <paramref name="imageSize"/> fix it (for cost counting).
    /// </summary>
    public static void Build(GraphBuilder g, CamBackbone backbone, int classes, int? pairs = null, (int Height, int Width)? imageSize = null) =>
        BuildOnMaps(g, (b, x) =>
        {
            var (features, w) = backbone(b, x);
            return (b.Conv(features, w), PositiveWeights(b, w));    // S = W * f(x), pre-ReLU
        }, classes, pairs, imageSize);

    /// <summary>K_pos(c): positive weights of each class's row of a classifier weight [C, ...].</summary>
    public static Value PositiveWeights(GraphBuilder g, Value classifierWeight) =>
        g.ReduceSum(g.Cast(g.Greater(classifierWeight, g.Scalar(0f)), DataType.Float), [.. Enumerable.Range(1, classifierWeight.Rank - 1).Select(a => (long)a)], keepDims: false);

    /// <summary>
    /// As <see cref="Build"/>, on any class maps: a plain CAM classifier's W * f(x), or ACoL's fused localisation maps
    /// (<see cref="Networks.AcolMaps.Fused"/>), whose K_pos is head A's last layer's.
    /// </summary>
    public static void BuildOnMaps(GraphBuilder g, CamMaps maps, int classes, int? pairs = null, (int Height, int Width)? imageSize = null)
    {
        long p = pairs ?? -1, h = imageSize?.Height ?? -1, w0 = imageSize?.Width ?? -1;
        var x = g.Input(ClimberContract.Image, DataType.Float, [p < 0 ? -1 : 2 * p, 3, h, w0], ["copies", null, "height", "width"]);
        var target = g.Input(ClimberContract.TargetClass, DataType.Int64, [p], ["pairs"]);
        var lambda = g.Input(ClimberContract.MaskWeight, DataType.Float, []);
        var tau = g.Input(ClimberContract.MaskThreshold, DataType.Float, []);
        var xi = g.Input(ClimberContract.StepSize, DataType.Float, []);

        var (s, kPosPerClass) = maps(g, x);                             // S [2P, C, h, w], K_pos [C]
        var a0 = g.Input(ClimberContract.InitialMap, DataType.Float, [p, s.Shape[2], s.Shape[3]], ["pairs", "map_height", "map_width"]);
        var r = g.Relu(s);
        var y = g.ReduceMean(r, [2, 3], keepDims: false);               // climbing logits y_k [2P, C]

        // One-hot of each copy's class: the pair's class, repeated for both copies.
        var copyClass = g.Reshape(g.ExpandLike(g.Unsqueeze(target, 1), g.Constant(HostTensor<long>.Zeros(1, 2))), -1);
        var range = g.Constant(new HostTensor<long>([.. Enumerable.Range(0, classes).Select(i => (long)i)], 1, classes));
        var onehot = g.Cast(g.Equal(g.Unsqueeze(copyClass, 1), range), DataType.Float); // [2P, C]

        // AdvCAM eq. (the logit term of L): y_c - sum_{k != c} y_k = sum_k y_k (2 onehot_k - 1), summed over copies.
        var logitTerm = g.SumAll(y * (onehot * 2f - g.Scalar(1f)));

        // Grad-CAM scale g(b) = N_pos(b) / (K_pos(c) * sum_pair N_pos), a constant (ADVCAM.md "Scale g").
        var sc = g.ReduceSum(s * g.Unsqueeze(onehot, 2, 3), [1], keepDims: false);                 // S_c [2P, h, w]
        var nPos = g.ReduceSum(g.Cast(g.Greater(sc, g.Scalar(0f)), DataType.Float), [1, 2], keepDims: false); // [2P]
        var kPos = g.ReduceSum(onehot * kPosPerClass, [1], keepDims: false);                       // [2P]
        var pairTotal = PerCopy(g, g.ReduceSum(g.Reshape(nPos, -1, 2), [1], keepDims: false));    // [2P]
        var scale = g.StopGradient(nPos / g.Clip(kPos * pairTotal, 1f, null));
        var attribution = g.Relu(sc) * g.Unsqueeze(scale, 1, 2);                                   // a(x_b) = g ReLU(S_c)

        // A_t = a(copy 0) + flip(a(copy 1)) per pair.
        var pairShape = g.Concat([g.Ints(-1, 2), g.Slice(g.ShapeOf(attribution), [1], [3], [0])], 0);
        var byPair = g.ReshapeDynamic(attribution, pairShape, [p, 2, attribution.Shape[1], attribution.Shape[2]]); // [P, 2, h, w]
        var first = g.Squeeze(g.Slice(byPair, [0], [1], [1]), 1);
        var second = g.Squeeze(g.Slice(byPair, [1], [2], [1]), 1);
        var merged = first + g.Flip(second, 2);                                                    // [P, h, w]

        // Restriction mask M_t = 1[A_t / max A_t > tau], rebuilt from the current iterate, constant for the gradient.
        var peak = g.ReduceMax(merged, [1, 2]);
        var mask = g.StopGradient(g.Cast(g.Greater(merged, tau * peak), DataType.Float));
        var regulariser = g.SumAll(mask * g.Abs(merged - a0));

        // L = sum_b [y_c - sum_{k != c} y_k] - lambda sum M |A_t - A_0|
        var objective = logitTerm - lambda * regulariser;
        var gradient = GradientBuilder.Gradients(g, objective, [x])[0];

        // x_{t+1} = x_t + xi g / (max|g| + 1e-12), clamped to [min x_t, max x_t]; max and bounds per pair.
        var norm = PerCopyImage(g, g.ReduceMax(g.Reshape(g.ReduceMax(g.Abs(gradient), [1, 2, 3], keepDims: false), -1, 2), [1], keepDims: false));
        var low = PerCopyImage(g, g.ReduceMin(g.Reshape(g.ReduceMin(x, [1, 2, 3], keepDims: false), -1, 2), [1], keepDims: false));
        var high = PerCopyImage(g, g.ReduceMax(g.Reshape(g.ReduceMax(x, [1, 2, 3], keepDims: false), -1, 2), [1], keepDims: false));
        var step = x + xi * gradient / (norm + g.Scalar(1e-12f));
        var next = g.Min(g.Max(step, low), high);

        g.Output(merged, ClimberContract.MergedMap);
        g.Output(objective, ClimberContract.Objective);
        g.Output(gradient, ClimberContract.ImageGradient);
        g.Output(next, ClimberContract.NextImage);
        g.Output(y, ClimberContract.ClassScores);
    }

    /// <summary>A per-pair value [P] repeated for both copies: [2P].</summary>
    private static Value PerCopy(GraphBuilder g, Value perPair) =>
        g.Reshape(g.ExpandLike(g.Unsqueeze(perPair, 1), g.Constant(HostTensor<float>.Zeros(1, 2))), -1);

    /// <summary>A per-pair value [P] repeated for both copies and broadcastable over images: [2P, 1, 1, 1].</summary>
    private static Value PerCopyImage(GraphBuilder g, Value perPair) => g.Reshape(PerCopy(g, perPair), -1, 1, 1, 1);
}
