namespace WsssOnnx.Graph.Networks;

/// <summary>How a batch-normalisation layer normalises.</summary>
public enum BatchNormMode
{
    /// <summary>
    /// Eval form (IRN's FixedBatchNorm, DeepLab-v2's frozen BN): the ONNX BatchNormalization op with the running mean
    /// and variance as constant, non-trainable parameters.
    /// </summary>
    Frozen,

    /// <summary>
    /// The frozen form folded into the preceding convolution: W' = W * scale / sqrt(var + eps) per output channel and
    /// bias' = bias - mean * scale / sqrt(var + eps), written as ops on the same parameters (ORT folds them to constants
    /// when they are initializers). Same values as <see cref="Frozen"/>; gradient graphs lose the per-channel multiply.
    /// </summary>
    Folded,

    /// <summary>
    /// Batch statistics over N, H, W, built from primitive ops so that autodiff differentiates through them; the
    /// updated running statistics are extra graph outputs (see <see cref="RunningStatUpdate"/>).
    /// </summary>
    Training,
}
