using WsssOnnx.Packages;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Networks;

/// <summary>Training losses, each a float scalar (rank 0) that <see cref="Autodiff.GradientBuilder"/> can differentiate.</summary>
public static class Losses
{
    /// <summary>
    /// Multi-label soft margin loss (PyTorch's MultiLabelSoftMarginLoss, IRN's CAM loss): the mean over batch and
    /// classes of BCE-with-logits, written softplus(z) - y z, which equals -[y log sigma(z) + (1 - y) log(1 - sigma(z))]
    /// and never takes the log of a rounded-to-zero sigmoid. <paramref name="logits"/> z and
    /// <paramref name="targets"/> y are float [N, C], y in {0, 1} (or soft labels in [0, 1]).
    /// </summary>
    public static Value MultiLabelSoftMargin(GraphBuilder g, Value logits, Value targets)
    {
        if (logits.Rank != 2 || targets.Rank != 2 || logits.Type != DataType.Float || targets.Type != DataType.Float)
            throw new ArgumentException($"multi-label soft margin loss expects float [N, C] logits and targets; got {logits} and {targets}");
        GraphBuilder.Broadcast(logits.Shape, targets.Shape);
        var perElement = g.Softplus(logits) - targets * logits;
        return g.ReduceMean(perElement, [0, 1], keepDims: false);
    }

    /// <summary>
    /// Pixel-wise cross-entropy with an ignore label: -sum_{valid p} log softmax(scores)_{label(p)}(p) / |valid|, the
    /// valid pixels being those whose label is not <paramref name="ignoreIndex"/>. <paramref name="scores"/> is float
    /// [N, K, h, w], <paramref name="labels"/> int64 [N, h, w] with values in [0, K) or the ignore label. The picked
    /// log-probability is a one-hot (labels == [0 .. K-1] broadcast over a [1, K, 1, 1] constant) times LogSoftmax, so
    /// the graph is differentiable in the scores without Gather. When every pixel is ignored the loss is 0 (the
    /// denominator is clipped to at least 1; PyTorch would give NaN).
    /// </summary>
    public static Value CrossEntropy(GraphBuilder g, Value scores, Value labels, long ignoreIndex = 255)
    {
        if (scores.Rank != 4 || scores.Type != DataType.Float || scores.Shape[1] < 0)
            throw new ArgumentException($"cross-entropy expects float [N, K, h, w] scores with K known at build time; got {scores}");
        if (labels.Rank != 3 || labels.Type != DataType.Int64)
            throw new ArgumentException($"cross-entropy expects int64 [N, h, w] labels; got {labels}");
        for (int d = 0; d < 3; d++)
        {
            long s = scores.Shape[d == 0 ? 0 : d + 1], l = labels.Shape[d];
            if (s >= 0 && l >= 0 && s != l)
                throw new ArgumentException($"cross-entropy: scores {scores} and labels {labels} differ in size on axis {(d == 0 ? 0 : d + 1)}");
        }
        long classes = scores.Shape[1];
        if (ignoreIndex >= 0 && ignoreIndex < classes)
            throw new ArgumentException($"ignoreIndex {ignoreIndex} is a class index (the scores have {classes} classes)", nameof(ignoreIndex));

        var logProbabilities = g.LogSoftmax(scores, 1);
        var oneHot = OneHot(g, labels, classes);
        var ignore = g.Constant(new HostTensor<long>([ignoreIndex]));
        var valid = g.Cast(g.Not(g.Equal(labels, ignore)), DataType.Float);
        var count = g.Clip(g.SumAll(valid), 1f, null);
        return -g.SumAll(oneHot * logProbabilities) / count;
    }

    /// <summary>
    /// The one-hot float map [N, K, h, w] of int64 labels [N, h, w]: labels == [0 .. K-1] broadcast over a [1, K, 1, 1]
    /// constant, so a label outside [0, K) (the ignored 255) is all zeros.
    /// </summary>
    public static Value OneHot(GraphBuilder g, Value labels, long classes)
    {
        var classIndex = g.Constant(new HostTensor<long>([.. Enumerable.Range(0, (int)classes).Select(c => (long)c)], 1, classes, 1, 1));
        return g.Cast(g.Equal(g.Unsqueeze(labels, 1), classIndex), DataType.Float);
    }

    /// <summary>
    /// Pixel-wise cross-entropy against one-hot float targets [N, K, h, w] whose all-zero pixels are ignored:
    /// -sum_p sum_k t_k(p) log softmax(scores)_k(p) / max(1, sum t). Same value as <see cref="CrossEntropy"/> with those
    /// pixels labelled as ignored, for targets computed inside the graph (ECS-Net's reliable pixels).
    /// </summary>
    public static Value OneHotCrossEntropy(GraphBuilder g, Value scores, Value targets)
    {
        if (scores.Rank != 4 || targets.Rank != 4 || scores.Type != DataType.Float || targets.Type != DataType.Float)
            throw new ArgumentException($"one-hot cross-entropy expects float [N, K, h, w] scores and targets; got {scores} and {targets}");
        GraphBuilder.Broadcast(scores.Shape, targets.Shape);
        var count = g.Clip(g.SumAll(targets), 1f, null);
        return -g.SumAll(targets * g.LogSoftmax(scores, 1)) / count;
    }
}
