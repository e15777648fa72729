namespace WsssOnnx.Graph.Networks;

/// <summary>
/// The last residual block of a <see cref="ResNet"/>: out = ReLU(tail(conv2(Hidden)) + Shortcut), where conv2 is its last 3x3
/// convolution ("{Scope}.conv2.weight", [Planes, Planes, 3, 3]) and tail is bn2 (basic) or bn2, ReLU, conv3, bn3 (bottleneck).
/// </summary>
/// <param name="Scope">The block's parameter prefix, e.g. "layer4.2".</param>
/// <param name="Hidden">conv2's input [N, Planes, h, w].</param>
/// <param name="Shortcut">The value added before the final ReLU [N, OutChannels, h, w] (the block's input, or its downsampled form).</param>
/// <param name="Conv2Stride">conv2's stride (1 except a bottleneck's first block of a strided stage).</param>
/// <param name="Dilation">conv2's dilation (its padding equals it).</param>
public sealed record ResNetFinalBlock(string Scope, Value Hidden, Value Shortcut, long Planes, long OutChannels, int Conv2Stride, int Dilation);
