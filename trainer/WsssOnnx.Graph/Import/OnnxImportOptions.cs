namespace WsssOnnx.Graph.Import;

/// <summary>How to read an external classifier: where its feature map and head are (found when null), and its output stride.</summary>
public sealed record OnnxImportOptions
{
    /// <summary>Name of the feature map f [N, F, h, w] that the head pools (a value name in the source graph).</summary>
    public string? Features { get; init; }

    /// <summary>Name of the head: its Gemm or MatMul node, that node's output, or its weight initializer.</summary>
    public string? Head { get; init; }

    /// <summary>
    /// Dilate the last stage (DeepLab's atrous conversion): its downsampling convolutions get stride 1 and every later
    /// convolution with a kernel larger than 1 dilation 2, so the feature stride halves (32 to 16, as IRN's CAM network).
    /// </summary>
    public bool DilateLastStage { get; init; }
}
