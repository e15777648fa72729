using WsssOnnx.Packages;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// The losses of SEC (Kolesnikov and Lampert, "Seed, Expand and Constrain", ECCV 2016) and DSRG (Huang et al., CVPR 2018),
/// on the segmenter's class log-probabilities at its output resolution. Each is a float scalar (rank 0) that
/// <see cref="Autodiff.GradientBuilder"/> can differentiate. Log-probabilities are [N, K, h, w], background first (see
/// <see cref="LogProbabilities"/>); the cues (seed labels) int64 [N, h, w] with 255 for unlabelled pixels; image labels
/// float [N, K - 1] (foreground, multi-hot).
/// <para>
/// Both papers' code takes the log of a floored softmax, p = (softmax(s) + m) / (1 + K m), to keep the logs finite. Its
/// slope, ∂ log p_c / ∂ s_c = σ_c (1 − σ_c) / (σ_c + m), vanishes once σ_c ≪ m = 1e-4: a network that has collapsed
/// onto one class everywhere (which the expansion and constrain losses drive a from-scratch network to in a few steps)
/// then gets no gradient from its seeds and stays there (the loss flat at 9.21 (1 + foreground share of the cues)).
/// Here the logs are the log-softmax, log σ = s − log Σ exp s, finite without a floor, with slope 1 − σ_c; the values
/// differ from the floored ones only where σ &lt; ~1e-3. The floor stays where a log of 1 − p needs it (the absent
/// classes' peak) and on the probabilities the dense CRF reads (<see cref="Probabilities"/>).
/// </para>
/// </summary>
public static class SeedLosses
{
    /// <summary>SEC's and DSRG's probability floor: p = (softmax(s) + m) / (1 + K m) keeps every log finite.</summary>
    public const float ProbabilityFloor = 1e-4f;

    /// <summary>The pseudo-label value of a pixel with no cue.</summary>
    public const long Unlabelled = 255;

    /// <summary>Softmax over the classes (axis 1) lifted by <see cref="ProbabilityFloor"/> and renormalised.</summary>
    public static Value Probabilities(GraphBuilder g, Value scores)
    {
        RequireMap(scores, nameof(scores));
        float m = ProbabilityFloor;
        return (g.Softmax(scores, 1) + g.Scalar(m)) * (1f / (1f + scores.Shape[1] * m));
    }

    /// <summary>log σ(s): the log-softmax over the classes (axis 1), what the losses below take.</summary>
    public static Value LogProbabilities(GraphBuilder g, Value scores)
    {
        RequireMap(scores, nameof(scores));
        return g.LogSoftmax(scores, 1);
    }

    /// <summary>
    /// Seeding loss. SEC: −(1/N) Σ_n Σ_{u ∈ S_n} log p_{c(u)}(u) / |S_n|, S_n the pixels of image n with a cue (255
    /// ignored). DSRG's balanced form (<paramref name="balanced"/>): the background cues and the foreground cues are
    /// each averaged on their own and the two terms added. An image (or a part) without cues contributes 0.
    /// </summary>
    public static Value Seeding(GraphBuilder g, Value logProbabilities, Value cues, bool balanced = false)
    {
        RequireMap(logProbabilities, nameof(logProbabilities));
        if (cues.Rank != 3 || cues.Type != DataType.Int64)
            throw new ArgumentException($"seeding loss expects int64 [N, h, w] cues; got {cues}");
        long classes = logProbabilities.Shape[1];
        var classIndex = g.Constant(new HostTensor<long>([.. Enumerable.Range(0, (int)classes).Select(c => (long)c)], 1, classes, 1, 1));
        var oneHot = g.Cast(g.Equal(g.Unsqueeze(cues, 1), classIndex), DataType.Float);   // 255 matches no class
        var picked = oneHot * logProbabilities;
        Value Term(Value pickedPart, Value oneHotPart)
        {
            var count = g.Clip(g.ReduceSum(oneHotPart, [1, 2, 3], keepDims: false), 1f, null);
            return -g.ReduceMean(g.ReduceSum(pickedPart, [1, 2, 3], keepDims: false) / count, [0], keepDims: false);
        }
        if (!balanced) return Term(picked, oneHot);
        Value Background(Value v) => g.Slice(v, [0], [1], [1]);
        Value Foreground(Value v) => g.Slice(v, [1], [classes], [1]);
        return Term(Background(picked), Background(oneHot)) + Term(Foreground(picked), Foreground(oneHot));
    }

    /// <summary>
    /// Global weighted rank pooling (SEC eq. 4): per image and class, the probabilities sorted in descending order
    /// p_(1) ≥ p_(2) ≥ …, G = Σ_j d^(j−1) p_(j) / Σ_j d^(j−1). d = 0 is max pooling, d = 1 average pooling. [N, C].
    /// Sorting is ONNX TopK with k = h w (its gradient scatters back to the sorted positions).
    /// </summary>
    public static Value GlobalWeightedRankPooling(GraphBuilder g, Value probabilities, float decay)
    {
        RequireMap(probabilities, nameof(probabilities));
        return g.ReduceSum(SortedDescending(g, probabilities) * RankWeights(g, probabilities.Shape[2] * probabilities.Shape[3], decay), [2], keepDims: false);
    }

    /// <summary>
    /// log G of <see cref="GlobalWeightedRankPooling"/> from log-probabilities l, in the log domain so that it stays finite
    /// and keeps its slope when every p is tiny: with l_(1) ≥ l_(2) ≥ … sorted and weights w_j = d^(j−1) / Σ d^(j−1),
    /// log G = l_(1) + log Σ_j w_j exp(l_(j) − l_(1)); the sum is at least w_1 &gt; 0. [N, C].
    /// </summary>
    public static Value LogGlobalWeightedRankPooling(GraphBuilder g, Value logProbabilities, float decay)
    {
        RequireMap(logProbabilities, nameof(logProbabilities));
        var sorted = SortedDescending(g, logProbabilities);
        var top = g.Slice(sorted, [0], [1], [2]);
        var sum = g.ReduceSum(g.Exp(sorted - top) * RankWeights(g, sorted.Shape[2], decay), [2], keepDims: true);
        return g.Reshape(top + g.Log(sum), logProbabilities.Shape[0], logProbabilities.Shape[1]);
    }

    /// <summary>[N, C, h w]: each image's and class's values in descending order (ONNX TopK with k = h w; its gradient scatters back).</summary>
    private static Value SortedDescending(GraphBuilder g, Value map)
    {
        long n = map.Shape[0], c = map.Shape[1], hw = map.Shape[2] * map.Shape[3];
        return g.TopK(g.Reshape(map, n, c, hw), hw, axis: 2, largest: true).Values;
    }

    /// <summary>GWRP's weights d^(j−1) / Σ_j d^(j−1), j = 1 … count, as a [1, 1, count] constant.</summary>
    private static Value RankWeights(GraphBuilder g, long count, float decay)
    {
        if (!(decay is >= 0f and <= 1f)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "GWRP decay must be in [0, 1]");
        var weights = new float[count];
        double w = 1, z = 0;
        for (long j = 0; j < count; j++, w *= decay) z += w;
        w = 1;
        for (long j = 0; j < count; j++, w *= decay) weights[j] = (float)(w / z);
        return g.Constant(new HostTensor<float>(weights, 1, 1, count));
    }

    /// <summary>
    /// Expansion loss (SEC eq. 3, with the official code's averaging): for the foreground classes present in the image,
    /// −mean_{c present} log G_c with decay d₊; for the absent ones, −mean_{c absent} log(1 − max_u p_c(u)); for the
    /// background (always present), −log G_0 with decay d₋. Each term is averaged over the batch and the three added.
    /// An image with no present (or no absent) foreground class contributes 0 to that term.
    /// </summary>
    public static Value Expansion(GraphBuilder g, Value logProbabilities, Value imageLabels, float foregroundDecay = 0.996f, float backgroundDecay = 0.999f)
    {
        RequireMap(logProbabilities, nameof(logProbabilities));
        long classes = logProbabilities.Shape[1];
        if (imageLabels.Rank != 2 || imageLabels.Type != DataType.Float || imageLabels.Shape[1] != classes - 1)
            throw new ArgumentException($"expansion loss expects float [N, {classes - 1}] image labels (foreground classes); got {imageLabels}");
        var background = g.Slice(logProbabilities, [0], [1], [1]);
        var foreground = g.Slice(logProbabilities, [1], [classes], [1]);
        var one = g.Scalar(1f);
        var absent = one - imageLabels;
        Value PerImageMean(Value terms, Value mask) =>
            g.ReduceSum(terms * mask, [1], keepDims: false) / g.Clip(g.ReduceSum(mask, [1], keepDims: false), 1f, null);

        var present = PerImageMean(LogGlobalWeightedRankPooling(g, foreground, foregroundDecay), imageLabels);
        // The absent classes' peak on the floored probability, (max_u σ_c(u) + m) / (1 + K m) < 1, so that log(1 − peak) stays finite.
        float m = ProbabilityFloor;
        var peak = (g.ReduceMax(g.Exp(foreground), [2, 3], keepDims: false) + g.Scalar(m)) * (1f / (1f + classes * m));
        var missing = PerImageMean(g.Log(one - peak), absent);
        var backgroundTerm = g.Reshape(LogGlobalWeightedRankPooling(g, background, backgroundDecay), -1);
        return -(g.ReduceMean(present, [0], keepDims: false) + g.ReduceMean(missing, [0], keepDims: false) + g.ReduceMean(backgroundTerm, [0], keepDims: false));
    }

    /// <summary>
    /// Constrain-to-boundary loss (SEC eq. 5): the mean over images and pixels of KL(Q ‖ P) = Σ_k Q_k log(Q_k / P_k),
    /// Q the dense-CRF marginals of P (<paramref name="target"/>, a constant: no gradient flows into it; entries must be
    /// positive). DSRG's variant clips the ratio Q/P to <paramref name="ratioRange"/> ([0.05, 20] in its code), which
    /// also stops the gradient where the ratio is clipped.
    /// </summary>
    public static Value Constrain(GraphBuilder g, Value logProbabilities, Value target, (float Min, float Max)? ratioRange = null)
    {
        RequireMap(logProbabilities, nameof(logProbabilities));
        if (target.Type != DataType.Float || !target.Shape.SequenceEqual(logProbabilities.Shape))
            throw new ArgumentException($"constrain loss expects a float target shaped as the log-probabilities {logProbabilities}; got {target}");
        var logRatio = g.Log(target) - logProbabilities;
        if (ratioRange is { } r)
        {
            if (!(r.Min > 0 && r.Max > r.Min)) throw new ArgumentOutOfRangeException(nameof(ratioRange), r, "the ratio range must satisfy 0 < min < max");
            logRatio = g.Clip(logRatio, MathF.Log(r.Min), MathF.Log(r.Max));
        }
        var perPixel = g.ReduceSum(target * logRatio, [1], keepDims: false);
        return g.ReduceMean(perPixel, [0, 1, 2], keepDims: false);
    }

    private static void RequireMap(Value v, string name)
    {
        if (v.Rank != 4 || v.Type != DataType.Float || !v.IsStatic)
            throw new ArgumentException($"{name} must be a float [N, K, h, w] tensor with sizes known at build time; got {v}", name);
    }
}
