namespace WsssOnnx.Graph.Networks;

/// <summary>
/// ResNet-18/34/50/101 on an NCHW image, with torchvision's parameter names ("conv1.weight", "bn1.running_mean",
/// "layer3.0.downsample.0.weight", ...) so ImageNet weights load by name. Convolutions have no bias (batch
/// normalisation follows each). Bottlenecks are torchvision v1.5: the stride sits in the 3x3 convolution.
/// Stem: conv1 7x7 stride 2 pad 3, bn1, ReLU, maxpool 3x3 stride 2 pad 1; then layer1 (stride 1), layer2 (stride 2),
/// and layer3/layer4 with stride 2/1 (output stride 16) or stride 1/1 with dilation 2/4 (output stride 8).
/// </summary>
public sealed class ResNet
{
    private ResNet(ResNetOptions options, Value image, Value stem, IReadOnlyList<Value> layers, IReadOnlyList<RunningStatUpdate> updates, ResNetFinalBlock finalBlock)
    {
        Options = options;
        Image = image;
        Stem = stem;
        Layers = layers;
        RunningStatUpdates = updates;
        FinalBlock = finalBlock;
    }

    public ResNetOptions Options { get; }

    public Value Image { get; }

    /// <summary>The stem's output (after the max pool), stride 4.</summary>
    public Value Stem { get; }

    /// <summary>The outputs of layer1 .. layer4 (strides 4, 8, 16, 16; 4, 8, 8, 8; or 4, 8, 16, 32).</summary>
    public IReadOnlyList<Value> Layers { get; }

    /// <summary>f(x): layer4's output, [N, <see cref="FeatureChannels"/>, H / stride, W / stride].</summary>
    public Value Features => Layers[3];

    public long FeatureChannels => Features.Shape[1];

    public int OutputStride => Options.OutputStride;

    /// <summary>layer4's last block: where its last 3x3 convolution starts (FickleNet's stochastic selection replaces that convolution).</summary>
    public ResNetFinalBlock FinalBlock { get; }

    /// <summary>Running statistics the graph recomputes (training-mode batch normalisation only; empty otherwise).</summary>
    public IReadOnlyList<RunningStatUpdate> RunningStatUpdates { get; }

    /// <summary>Builds the backbone on <paramref name="image"/> ([N, channels, H, W], channels known at build time).</summary>
    public static ResNet Build(GraphBuilder g, Value image, ResNetOptions options)
    {
        options.Validate();
        if (image.Rank != 4 || image.Shape[1] < 0)
            throw new ArgumentException($"ResNet expects an NCHW image with a static channel count; got {image}");
        var builder = new Builder(g, options);
        var stem = builder.BuildStem(image);
        var layers = builder.BuildLayers(stem);
        return new ResNet(options, image, stem, layers, builder.Updates, builder.FinalBlock!);
    }

    /// <summary>Each layer's (stride, dilation) of its first block.</summary>
    private static (int Stride, int Dilation)[] Plan(ResNetLayout layout) => layout switch
    {
        ResNetLayout.DilatedOutputStride8 => [(1, 1), (2, 1), (1, 2), (1, 4)],
        ResNetLayout.OutputStride32 => [(1, 1), (2, 1), (2, 1), (2, 1)],
        _ => [(1, 1), (2, 1), (2, 1), (1, 1)],
    };

    /// <summary>The strides of layer1 .. layer4's outputs relative to the image (the stem's is 4).</summary>
    public static int[] LayerStrides(ResNetLayout layout)
    {
        var plan = Plan(layout);
        var strides = new int[4];
        for (int l = 0, s = 4; l < 4; l++) strides[l] = s *= plan[l].Stride;
        return strides;
    }

    private sealed class Builder(GraphBuilder g, ResNetOptions options)
    {
        private readonly Random _rng = new(options.Seed);
        private long _channels; // torchvision's inplanes

        public List<RunningStatUpdate> Updates { get; } = [];

        /// <summary>The last block built (layer4's last once all are).</summary>
        public ResNetFinalBlock? FinalBlock { get; private set; }

        public Value BuildStem(Value image)
        {
            bool trainable = options.TrainableStages.HasFlag(ResNetStages.Stem);
            var x = Conv(image, "conv1", options.Width, kernel: 7, stride: 2, dilation: 1, trainable);
            using (g.Scope("bn1")) x = BatchNorm.Layer(g, x, Norm(trainable), trainable, Updates);
            x = g.Relu(x);
            _channels = options.Width;
            return g.MaxPool(x, [3, 3], [2, 2], [1, 1, 1, 1]).Y;
        }

        public Value[] BuildLayers(Value x)
        {
            var plan = Plan(options.Layout);
            var outputs = new Value[4];
            for (int l = 0; l < 4; l++)
            {
                bool trainable = options.TrainableStages.HasFlag((ResNetStages)(2 << l));
                long planes = (long)options.Width << l;
                using (g.Scope($"layer{l + 1}"))
                {
                    for (int b = 0; b < options.Blocks[l]; b++)
                    {
                        using (g.Scope(b.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                            x = Block(x, planes, b == 0 ? plan[l].Stride : 1, plan[l].Dilation, trainable, $"layer{l + 1}.{b}");
                    }
                }
                outputs[l] = x;
            }
            return outputs;
        }

        // Basic: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
        // Bottleneck: relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x)), stride in conv2 (3x3).
        // shortcut = bn(conv1x1 stride s) when the stride or the channel count changes, else identity.
        private Value Block(Value x, long planes, int stride, int dilation, bool trainable, string scope)
        {
            long outChannels = planes * options.Expansion;
            Value y, hidden;
            int conv2Stride;
            if (options.Bottleneck)
            {
                hidden = ConvBnRelu(x, "conv1", "bn1", planes, 1, 1, 1, trainable, relu: true);
                conv2Stride = stride;
                y = ConvBnRelu(hidden, "conv2", "bn2", planes, 3, stride, dilation, trainable, relu: true);
                y = ConvBnRelu(y, "conv3", "bn3", outChannels, 1, 1, 1, trainable, relu: false);
            }
            else
            {
                hidden = ConvBnRelu(x, "conv1", "bn1", planes, 3, stride, dilation, trainable, relu: true);
                conv2Stride = 1;
                y = ConvBnRelu(hidden, "conv2", "bn2", planes, 3, 1, dilation, trainable, relu: false);
            }
            Value shortcut = x;
            if (stride != 1 || _channels != outChannels)
            {
                using (g.Scope("downsample"))
                    shortcut = ConvBnRelu(x, "0", "1", outChannels, 1, stride, 1, trainable, relu: false);
            }
            _channels = outChannels;
            FinalBlock = new ResNetFinalBlock(scope, hidden, shortcut, planes, outChannels, conv2Stride, dilation);
            return g.Relu(y + shortcut);
        }

        private Value ConvBnRelu(Value x, string conv, string bn, long channels, int kernel, int stride, int dilation, bool trainable, bool relu)
        {
            var y = Conv(x, conv, channels, kernel, stride, dilation, trainable);
            using (g.Scope(bn)) y = BatchNorm.Layer(g, y, Norm(trainable), trainable, Updates);
            return relu ? g.Relu(y) : y;
        }

        // Same-size padding for odd kernels: pad = dilation * (kernel - 1) / 2.
        private Value Conv(Value x, string name, long channels, int kernel, int stride, int dilation, bool trainable)
        {
            Value w;
            using (g.Scope(name)) w = g.Parameter("weight", Initializers.HeNormalFanOut(_rng, channels, x.Shape[1], kernel, kernel), trainable);
            long pad = dilation * (kernel - 1) / 2;
            return g.Conv(x, w, strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [dilation, dilation]);
        }

        // Frozen stages normalise with running statistics whatever the mode (they must not drift while frozen).
        private BatchNormOptions Norm(bool trainable) =>
            trainable || options.BatchNorm.Mode != BatchNormMode.Training ? options.BatchNorm : options.BatchNorm with { Mode = BatchNormMode.Frozen };
    }
}
