namespace WsssOnnx.Graph.Networks;

/// <summary>
/// The losses of Hung et al. (BMVC 2018, section 3.2) on the discriminator's confidence logits z (D = sigmoid(z)), each
/// a float scalar, binary cross-entropy written with softplus: -log sigmoid(z) = softplus(-z), -log(1 - sigmoid(z)) = softplus(z).
/// </summary>
public static class AdversarialLosses
{
    /// <summary>The paper's T_semi: the confidence above which an unlabelled prediction becomes its own target.</summary>
    public const float SemiThreshold = 0.2f;

    /// <summary>The paper's lambda_adv on labelled images (0.001 on unlabelled ones) and lambda_semi.</summary>
    public const float LabelledAdversarialWeight = 0.01f, UnlabelledAdversarialWeight = 0.001f, SemiWeight = 0.1f;

    /// <summary>
    /// L_D (eq. 1): the segmentation's pixels are fake (y = 0), the ground truth one-hot's real (y = 1); the mean over
    /// the fake map's pixels of softplus(z_fake) plus the mean over the real map's of softplus(-z_real).
    /// </summary>
    public static Value Discriminator(GraphBuilder g, Value fakeLogits, Value realLogits) =>
        g.ReduceMean(g.Softplus(fakeLogits), AllAxes(fakeLogits), keepDims: false) + g.ReduceMean(g.Softplus(g.Neg(realLogits)), AllAxes(realLogits), keepDims: false);

    /// <summary>
    /// L_D with pixel weights [N, 1, H, W] (0 leaves a pixel out: the official code's ignored label 255, or a batch slot
    /// that holds no ground truth): Σ w_f softplus(z_fake) / max(Σ w_f, 1) + Σ w_r softplus(-z_real) / max(Σ w_r, 1).
    /// </summary>
    public static Value Discriminator(GraphBuilder g, Value fakeLogits, Value realLogits, Value fakeWeights, Value realWeights) =>
        WeightedMean(g, g.Softplus(fakeLogits), fakeWeights) + WeightedMean(g, g.Softplus(g.Neg(realLogits)), realWeights);

    /// <summary>
    /// The discriminator's real input: the one-hot ground truth [N, K, H, W] of labels [N, H, W], label-smoothed when
    /// epsilon &gt; 0: (1 - epsilon) y + epsilon / K, so a real map is no longer told from a prediction by its exact 0s and 1s.
    /// An ignored label (255) gives epsilon / K everywhere; its pixel carries no weight in L_D.
    /// </summary>
    public static Value RealInput(GraphBuilder g, Value labels, long classes, float smoothing)
    {
        if (smoothing is < 0f or >= 1f) throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "label smoothing must be in [0, 1)");
        var oneHot = Losses.OneHot(g, labels, classes);
        return smoothing == 0f ? oneHot : oneHot * g.Scalar(1f - smoothing) + g.Scalar(smoothing / classes);
    }

    /// <summary>Σ w x / max(Σ w, 1) over every element: the mean over the weighted pixels, 0 when none has weight.</summary>
    public static Value WeightedMean(GraphBuilder g, Value x, Value weights) => g.SumAll(x * weights) / g.Clip(g.SumAll(weights), 1f, null);

    /// <summary>L_adv (eq. 3) for the segmenter: fool D on its prediction, the mean of -log D = softplus(-z).</summary>
    public static Value Adversarial(GraphBuilder g, Value fakeLogits) =>
        g.ReduceMean(g.Softplus(g.Neg(fakeLogits)), AllAxes(fakeLogits), keepDims: false);

    /// <summary>The mask I(D(S(X)) &gt; T_semi) as 0/1 floats [N, 1, H, W]; no gradient flows through it.</summary>
    public static Value ConfidenceMask(GraphBuilder g, Value confidenceLogits, float threshold = SemiThreshold) =>
        g.Cast(g.Greater(g.Sigmoid(confidenceLogits), g.Scalar(threshold)), Onnx.TensorProto.Types.DataType.Float);

    /// <summary>
    /// L_semi (eq. 4): cross-entropy of the scores [N, K, H, W] against their own argmax one-hot Ŷ (a constant target),
    /// on the pixels the mask keeps, averaged over those pixels (0 when the mask is empty).
    /// </summary>
    public static Value SelfTaught(GraphBuilder g, Value scores, Value mask)
    {
        var target = g.Cast(g.Equal(scores, g.ReduceMax(scores, [1])), Onnx.TensorProto.Types.DataType.Float); // ties have measure zero
        var picked = g.ReduceSum(target * g.LogSoftmax(scores, 1), [1]);                                      // [N, 1, H, W]
        return g.Neg(WeightedMean(g, picked, mask));
    }

    private static long[] AllAxes(Value x) => [.. Enumerable.Range(0, x.Rank).Select(a => (long)a)];
}
