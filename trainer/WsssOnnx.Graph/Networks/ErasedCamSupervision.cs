using WsssOnnx.Packages;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// ECS-Net's training signal (Sun et al., ICCV 2021): the image's regions where its max-normalised CAM exceeds delta are
/// replaced by a Gaussian blur of the image, the same network (shared weights) computes the CAM of that erased image,
/// its reliable pixels become a segmentation label (background or one class; the rest ignored), and a pixel-wise
/// cross-entropy makes the original image's class maps follow that label. The label is a target (no gradient flows
/// into it); the erased image's own classification loss, when weighted, trains the shared weights through the erased branch.
/// </summary>
public sealed class ErasedCamSupervision
{
    /// <summary>Added to absent classes' scores so that the softmax of the ECS loss ranges over background and the image's classes only.</summary>
    private const float AbsentClassOffset = -1e4f;

    private ErasedCamSupervision(Value erasingMask, Value erasedImage, CamClassifier erasedNetwork, Value targets, Value loss, Value erasedClassificationLoss, Value objective)
    {
        ErasedClassificationLoss = erasedClassificationLoss;
        ErasingMask = erasingMask;
        ErasedImage = erasedImage;
        ErasedNetwork = erasedNetwork;
        Targets = targets;
        Loss = loss;
        Objective = objective;
    }

    /// <summary>1 where the image is erased, [N, 1, H, W].</summary>
    public Value ErasingMask { get; }

    /// <summary>The image with its erased regions blurred, [N, 3, H, W].</summary>
    public Value ErasedImage { get; }

    /// <summary>The classifier built again on <see cref="ErasedImage"/> with the original's parameters.</summary>
    public CamClassifier ErasedNetwork { get; }

    /// <summary>One-hot reliable labels [N, 1 + C, h, w] (channel 0 background); ignored pixels are all zero.</summary>
    public Value Targets { get; }

    /// <summary>The unweighted ECS loss, a scalar.</summary>
    public Value Loss { get; }

    /// <summary>The erased image's unweighted multi-label soft margin loss, a scalar (in <see cref="Objective"/> only when weighted).</summary>
    public Value ErasedClassificationLoss { get; }

    /// <summary>
    /// What ECS adds to the classification loss: <see cref="ErasedCamSupervisionOptions.Weight"/> times <see cref="Loss"/>, plus
    /// <see cref="ErasedCamSupervisionOptions.ErasedClassificationWeight"/> times the erased image's multi-label soft margin loss.
    /// </summary>
    public Value Objective { get; }

    /// <summary>Appends ECS's erasing, second pass and loss to the graph of <paramref name="network"/>, whose image labels are <paramref name="labels"/> [N, C].</summary>
    public static ErasedCamSupervision Build(GraphBuilder g, CamClassifier network, Value labels, ErasedCamSupervisionOptions options)
    {
        options.Validate();
        var image = network.Image;
        if (image.Rank != 4 || !image.IsStatic) throw new ArgumentException($"ECS needs a static [N, 3, H, W] training image; got {image}");
        var cam = g.StopGradient(NormalizedCam(g, network.ClassMaps, labels));
        var mask = Mask(g, cam, options.Threshold, image.Shape[2], image.Shape[3]);
        var erased = g.StopGradient(Erase(g, image, mask, options.BlurSigma));
        CamClassifier erasedNetwork;
        using (g.ShareParameters())
            erasedNetwork = CamClassifier.Build(g, erased, network.Options);
        var erasedCam = g.StopGradient(NormalizedCam(g, erasedNetwork.ClassMaps, labels));
        var targets = g.StopGradient(ReliableTargets(g, cam, erasedCam, options));
        var loss = SupervisionLoss(g, network.ClassMaps, labels, targets);
        var erasedClassification = Losses.MultiLabelSoftMargin(g, erasedNetwork.Logits, labels);
        var objective = loss * options.Weight;
        if (options.ErasedClassificationWeight > 0) objective += erasedClassification * options.ErasedClassificationWeight;
        return new ErasedCamSupervision(mask, erased, erasedNetwork, targets, loss, erasedClassification, objective);
    }

    /// <summary>
    /// IRN's CAM normalisation for the image's classes: ReLU(S_c) y_c / (max_{h,w} ReLU(S_c) y_c + 1e-5), [N, C, h, w];
    /// absent classes are 0.
    /// </summary>
    public static Value NormalizedCam(GraphBuilder g, Value classMaps, Value labels)
    {
        var cam = g.Relu(classMaps) * g.Unsqueeze(labels, 2, 3);
        return cam / (g.ReduceMax(cam, [2, 3]) + g.Scalar(1e-5f));
    }

    /// <summary>1 where the largest normalised CAM over classes, resized bilinearly to the image's size, exceeds <paramref name="threshold"/>: [N, 1, H, W].</summary>
    public static Value Mask(GraphBuilder g, Value normalizedCam, float threshold, long height, long width)
    {
        var peak = g.ResizeBilinear(g.ReduceMax(normalizedCam, [1]), height, width);
        return g.Cast(g.Greater(peak, g.Scalar(threshold)), Onnx.TensorProto.Types.DataType.Float);
    }

    /// <summary>x + M (blur(x) - x): the masked pixels take the blurred image's values.</summary>
    public static Value Erase(GraphBuilder g, Value image, Value mask, float sigma) => image + mask * (GaussianBlur(g, image, sigma) - image);

    /// <summary>
    /// Separable Gaussian blur of each channel, k(i) proportional to exp(-i^2 / (2 sigma^2)) for |i| at most
    /// ceil(3 sigma). Near the border the kernel is renormalised over the pixels inside the image (the blurred image
    /// divided by the blurred all-ones image), so borders are not darkened by zero padding.
    /// </summary>
    public static Value GaussianBlur(GraphBuilder g, Value image, float sigma)
    {
        if (image.Rank != 4 || image.Shape[1] < 1) throw new ArgumentException($"blur needs [N, C, H, W] with C known; got {image}");
        long channels = image.Shape[1];
        var taps = GaussianTaps(sigma);
        int radius = taps.Length / 2;
        Value Blur(Value x, long c)
        {
            var horizontal = g.Constant(new HostTensor<float>([.. Enumerable.Range(0, (int)c).SelectMany(_ => taps)], c, 1, 1, taps.Length));
            var vertical = g.Constant(new HostTensor<float>([.. Enumerable.Range(0, (int)c).SelectMany(_ => taps)], c, 1, taps.Length, 1));
            var across = g.Conv(x, horizontal, pads: [0, radius, 0, radius], group: c);
            return g.Conv(across, vertical, pads: [radius, 0, radius, 0], group: c);
        }
        var ones = g.ZerosLike(g.ReduceMax(image, [1])) + g.Scalar(1f);
        return Blur(image, channels) / Blur(ones, 1);
    }

    /// <summary>The normalised 1-D Gaussian, 2 ceil(3 sigma) + 1 taps.</summary>
    public static float[] GaussianTaps(float sigma)
    {
        int radius = (int)Math.Ceiling(3 * sigma);
        var taps = Enumerable.Range(-radius, 2 * radius + 1).Select(i => Math.Exp(-i * i / (2.0 * sigma * sigma))).ToArray();
        double sum = taps.Sum();
        return [.. taps.Select(t => (float)(t / sum))];
    }

    /// <summary>
    /// The reliable-pixel sampling, [N, 1 + C, h, w] one-hot or all zero (ignored). Erased pixels (original normalised
    /// CAM above delta) are ignored: the erased image says nothing about them. Elsewhere, class c where the erased
    /// image's normalised CAM is largest for c and at least <see cref="ErasedCamSupervisionOptions.Foreground"/>;
    /// background where both images' normalised CAMs stay below <see cref="ErasedCamSupervisionOptions.Background"/>
    /// for every class; ignored in between.
    /// </summary>
    public static Value ReliableTargets(GraphBuilder g, Value normalizedCam, Value erasedNormalizedCam, ErasedCamSupervisionOptions options)
    {
        var original = g.ReduceMax(normalizedCam, [1]);
        var erased = g.ReduceMax(erasedNormalizedCam, [1]);
        var kept = g.Not(g.Greater(original, g.Scalar(options.Threshold)));
        var foreground = g.And(g.And(g.Equal(erasedNormalizedCam, erased), g.Not(g.Less(erased, g.Scalar(options.Foreground)))), kept);
        var background = g.And(g.And(g.Less(erased, g.Scalar(options.Background)), g.Less(original, g.Scalar(options.Background))), kept);
        var type = Onnx.TensorProto.Types.DataType.Float;
        return g.Concat([g.Cast(background, type), g.Cast(foreground, type)], 1);
    }

    /// <summary>
    /// Segmentation-style supervision of the class maps S [N, C, h, w]: scores [0, S_1 .. S_C] (a pixel is background
    /// when no class map is positive, as CAM = ReLU(S) reads it), absent classes pushed to -1e4, and the cross-entropy
    /// of <see cref="Losses.OneHotCrossEntropy"/> over the labelled pixels.
    /// </summary>
    public static Value SupervisionLoss(GraphBuilder g, Value classMaps, Value labels, Value targets)
    {
        var present = g.Unsqueeze(labels, 2, 3);
        var scores = g.Concat([g.ZerosLike(g.ReduceMax(classMaps, [1])), classMaps + (present - g.Scalar(1f)) * g.Scalar(-AbsentClassOffset)], 1);
        return Losses.OneHotCrossEntropy(g, scores, targets);
    }
}
