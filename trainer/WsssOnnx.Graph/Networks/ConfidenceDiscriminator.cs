using WsssOnnx.Packages;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// Hung et al.'s fully convolutional discriminator (BMVC 2018, "Adversarial Learning for Semi-Supervised Semantic
/// Segmentation", section 3.1): on class-probability maps [N, K, H, W] (the segmenter's softmax, or the ground truth
/// one-hot), five 4x4 convolutions of stride 2 and padding 1 with <c>width</c> x {1, 2, 4, 8} channels and then 1, each
/// but the last followed by leaky ReLU of slope 0.2, and the one-channel logit map upsampled bilinearly back to H x W:
/// the confidence map's logits z, D = sigmoid(z) the probability that a pixel comes from the ground truth.
/// Parameters "disc.conv{1..5}.weight/bias" (PyTorch's default uniform weights, zero biases).
/// </summary>
public static class ConfidenceDiscriminator
{
    public const string ParameterPrefix = "disc.";

    /// <summary>leaky_a(x) = max(x, a x) for 0 &lt; a &lt; 1, written Relu(x) - a Relu(-x) so that its gradient is Relu's.</summary>
    public static Value LeakyRelu(GraphBuilder g, Value x, float slope = 0.2f) => g.Relu(x) - g.Relu(g.Neg(x)) * slope;

    /// <summary>
    /// The confidence logits [N, 1, H, W] of <paramref name="probabilities"/> (static H and W). <paramref name="trainable"/>
    /// false: the segmenter's step, where gradients flow through the discriminator to its input but not to its weights.
    /// </summary>
    public static Value Build(GraphBuilder g, Value probabilities, int width = 64, int seed = 0, bool trainable = true)
    {
        if (probabilities.Rank != 4 || !probabilities.IsStatic)
            throw new ArgumentException($"the discriminator needs a static NCHW probability map; got {probabilities}", nameof(probabilities));
        if (width < 1) throw new ArgumentException($"the discriminator's width must be 1 or more; got {width}", nameof(width));
        var rng = new Random(seed);
        long[] channels = [width, 2L * width, 4L * width, 8L * width, 1];
        var x = probabilities;
        using (g.Scope("disc"))
        {
            for (int i = 0; i < channels.Length; i++)
            {
                using (g.Scope($"conv{i + 1}"))
                {
                    var w = g.Parameter("weight", Initializers.TorchConvDefault(rng, channels[i], x.Shape[1], 4, 4), trainable);
                    var b = g.Parameter("bias", HostTensor<float>.Zeros(channels[i]), trainable);
                    x = g.Conv(x, w, b, strides: [2, 2], pads: [1, 1, 1, 1]);
                }
                if (i < channels.Length - 1) x = LeakyRelu(g, x);
            }
        }
        return g.ResizeBilinear(x, probabilities.Shape[2], probabilities.Shape[3]);
    }
}
