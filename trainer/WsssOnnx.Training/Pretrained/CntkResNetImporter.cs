using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Onnx;
using WsssOnnx.Packages;
using WsssOnnx.Packages.Onnx;

namespace WsssOnnx.Training.Pretrained;

/// <summary>
/// A basic-block ResNet read from another framework's ONNX export: its weights under our torchvision names, its
/// blocks per stage and width, and the input preprocessing that was folded into <c>conv1</c>.
/// </summary>
public sealed record ImportedBackbone(IReadOnlyDictionary<string, HostTensor<float>> Weights, IReadOnlyList<int> Blocks, int Width, string Folded)
{
    /// <summary>
    /// Our network with this layout: ResNet-18 (or 34) with the export's layer4 block count, frozen statistics, output
    /// stride 32 as the export (the CAM classifier loads the same weights at stride 16, as IRN does).
    /// </summary>
    public ResNetOptions Options => new()
    {
        Layout = ResNetLayout.OutputStride32,
        Depth = Blocks.Take(3).SequenceEqual([2, 2, 2]) ? 18 : 34,
        Width = Width,
        Layer4Blocks = Blocks[3],
        BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Frozen },
        TrainableStages = ResNetStages.None,
    };
}

/// <summary>
/// Converts the CNTK ONNX export of a basic-block ResNet (ML.NET's ImageNet ResNet-18 featurizer) into our ResNet's
/// torchvision-named parameters by walking the graph from its input: stem conv, BN, ReLU, max pool, then each block's
/// 3x3 conv, BN, ReLU, 3x3 conv, BN, Add (with the block input, or a 1x1 conv + BN shortcut), ReLU, until the pool.
/// A new stage starts where the channel count changes. Every initializer must be used exactly once.
/// The export's preprocessing (its sibling model: RGB to BGR, 0-255, minus a mean image) is folded into conv1 so that
/// our RGB input normalised by <see cref="ImageNormalization"/> gives the same features.
/// </summary>
public static class CntkResNetImporter
{
    public static ImportedBackbone Import(ModelProto network, ModelProto preprocessing, ImageNormalization normalization)
    {
        var walk = new GraphWalk(network.Graph);
        var (stemOut, width) = walk.Stem();
        var blocks = walk.Blocks(stemOut, width);
        walk.RequireAllUsed();
        var (permutation, mean) = ReadPreprocessing(preprocessing.Graph);
        var weights = walk.Weights;
        string folded = FoldIntoConv1(weights, permutation, mean, normalization);
        return new ImportedBackbone(weights, blocks, width, folded);
    }

    /// <summary>
    /// The preprocessing graph: Split of the RGB 0-255 input into channels, Concat in the network's channel order, Sub of a
    /// mean image. Returns, per network channel k, the input channel it takes (permutation[k]) and its mean m_k (the mean
    /// image averaged over pixels: our normalisation is per channel).
    /// </summary>
    private static (int[] Permutation, double[] Mean) ReadPreprocessing(GraphProto g)
    {
        var split = g.Node.SingleOrDefault(n => n.OpType == "Split") ?? throw Unexpected("the preprocessing model has no Split of its input into channels");
        var concat = g.Node.SingleOrDefault(n => n.OpType == "Concat") ?? throw Unexpected("the preprocessing model has no Concat of the channels");
        var sub = g.Node.SingleOrDefault(n => n.OpType == "Sub") ?? throw Unexpected("the preprocessing model has no Sub of a mean");
        if (g.Node.Count != 3) throw Unexpected($"the preprocessing model has {g.Node.Count} nodes; expected Split, Concat, Sub");
        int[] permutation = [.. concat.Input.Select(name => split.Output.IndexOf(name))];
        if (permutation.Length != 3 || permutation.Order().SequenceEqual([0, 1, 2]) is false)
            throw Unexpected("the preprocessing Concat does not reorder the three input channels");
        if (sub.Input[0] != concat.Output[0]) throw Unexpected("the preprocessing Sub does not subtract from the reordered channels");
        var meanTensor = g.Initializer.SingleOrDefault(t => t.Name == sub.Input[1]) ?? throw Unexpected("the preprocessing mean is not a constant");
        var meanImage = TensorProtoReader.Read<float>(meanTensor);
        if (meanImage.Rank != 4 || meanImage.Shape[1] != 3) throw Unexpected($"the preprocessing mean has shape {meanImage}; expected [1, 3, H, W]");
        long pixels = meanImage.Shape[2] * meanImage.Shape[3];
        double[] mean = [.. Enumerable.Range(0, 3).Select(k => meanImage.Data.AsSpan((int)(k * pixels), (int)pixels).ToArray().Average(v => (double)v))];
        return (permutation, mean);
    }

    /// <summary>
    /// Folds the preprocessing into conv1. The export's channel k sees p_k = 255 raw_c - m_k with c = permutation[k], raw
    /// the RGB pixel in [0, 1]; ours sees x_c = (raw_c - mu_c) / sigma_c, so p_k = 255 sigma_c x_c + (255 mu_c - m_k).
    /// Hence W'[o, c] = 255 sigma_c W[o, k] and a constant b_o = sum_k d_k sum_ij W[o, k, i, j], d_k = 255 mu_c - m_k,
    /// which bn1 absorbs exactly: BN(y + b) with running mean r equals BN(y) with running mean r - b. (At the image border
    /// the export pads with p = 0, we with x = 0; the difference is d_k there, measured by the equivalence test.)
    /// </summary>
    private static string FoldIntoConv1(Dictionary<string, HostTensor<float>> weights, int[] permutation, double[] mean, ImageNormalization normalization)
    {
        var w = weights["conv1.weight"];
        long outChannels = w.Shape[0], kernel = w.Shape[2] * w.Shape[3];
        if (w.Shape[1] != 3) throw Unexpected($"conv1 has {w.Shape[1]} input channels; expected 3");
        float[] mu = [normalization.Mean.R, normalization.Mean.G, normalization.Mean.B];
        float[] sigma = [normalization.Std.R, normalization.Std.G, normalization.Std.B];
        var folded = new float[w.Data.Length];
        var runningMean = weights["bn1.running_mean"].Data;
        for (long o = 0; o < outChannels; o++)
        {
            double bias = 0;
            for (int k = 0; k < 3; k++)
            {
                int c = permutation[k];
                double d = 255.0 * mu[c] - mean[k];
                for (long i = 0; i < kernel; i++)
                {
                    float v = w.Data[(o * 3 + k) * kernel + i];
                    folded[(o * 3 + c) * kernel + i] = (float)(255.0 * sigma[c] * v);
                    bias += d * v;
                }
            }
            runningMean[o] = (float)(runningMean[o] - bias);
        }
        weights["conv1.weight"] = new HostTensor<float>(folded, w.Shape);
        string order = string.Concat(permutation.Select(c => "RGB"[c]));
        return $"{order} order, 0-255 scale and per-channel mean ({string.Join(", ", mean.Select(m => m.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}) " +
               $"folded into conv1/bn1 for RGB input normalised by mean ({mu[0]}, {mu[1]}, {mu[2]}) and std ({sigma[0]}, {sigma[1]}, {sigma[2]})";
    }

    private static InvalidDataException Unexpected(string message) => new($"not a ResNet export this importer knows: {message}");

    /// <summary>Follows the network graph node by node, naming each initializer it meets.</summary>
    private sealed class GraphWalk
    {
        private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TensorProto> _initializers;
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);
        private readonly GraphProto _graph;

        public GraphWalk(GraphProto graph)
        {
            _graph = graph;
            _initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
            foreach (var node in graph.Node)
                foreach (var input in node.Input)
                {
                    if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = [];
                    list.Add(node);
                }
        }

        public Dictionary<string, HostTensor<float>> Weights { get; } = new(StringComparer.Ordinal);

        /// <summary>conv1 (7x7, stride 2), bn1, ReLU, max pool (3x3, stride 2); returns the pool's output and conv1's width.</summary>
        public (string Output, int Width) Stem()
        {
            var inputs = _graph.Input.Where(i => !_initializers.ContainsKey(i.Name)).ToList();
            if (inputs.Count != 1) throw Unexpected($"{inputs.Count} graph inputs besides the weights; expected one image");
            var conv = Only(inputs[0].Name, "Conv");
            var w = Conv(conv, "conv1", kernel: 7, stride: 2);
            var relu = Only(BatchNorm(Only(conv.Output[0], "BatchNormalization"), "bn1"), "Relu");
            var pool = Only(relu.Output[0], "MaxPool");
            if (!pool.Attribute.Single(a => a.Name == "kernel_shape").Ints.SequenceEqual([3L, 3]) || Strides(pool) != 2)
                throw Unexpected("the stem's max pool is not 3x3 with stride 2");
            return (pool.Output[0], (int)w.Shape[0]);
        }

        /// <summary>Basic blocks until the global pool; returns the block count of each of the four stages.</summary>
        public int[] Blocks(string x, int width)
        {
            var blocks = new List<int>();
            long channels = width;
            while (true)
            {
                var convs = Consumers(x).Where(n => n.OpType == "Conv").ToList();
                if (convs.Count == 0)
                {
                    var pool = Consumers(x).SingleOrDefault(n => n.OpType is "AveragePool" or "GlobalAveragePool");
                    if (pool is null) throw Unexpected($"'{x}' ends neither in a block nor in the global pool");
                    break;
                }
                var main = convs.SingleOrDefault(n => KernelOf(n) == 3) ?? throw Unexpected($"no 3x3 convolution reads block input '{x}'");
                var shortcut = convs.SingleOrDefault(n => KernelOf(n) == 1);
                if (convs.Count != (shortcut is null ? 1 : 2)) throw Unexpected($"block input '{x}' feeds {convs.Count} convolutions");
                long planes = _initializers[main.Input[1]].Dims[0];
                bool newStage = blocks.Count == 0 || planes != channels;
                if (newStage) blocks.Add(0);
                if (blocks.Count > 4) throw Unexpected("more than four stages");
                int stride = newStage && blocks.Count > 1 ? 2 : 1;
                string prefix = $"layer{blocks.Count}.{blocks[^1]}.";
                Conv(main, prefix + "conv1", kernel: 3, stride);
                var conv2 = Only(Only(BatchNorm(Only(main.Output[0], "BatchNormalization"), prefix + "bn1"), "Relu").Output[0], "Conv");
                Conv(conv2, prefix + "conv2", kernel: 3, stride: 1);
                var add = Only(BatchNorm(Only(conv2.Output[0], "BatchNormalization"), prefix + "bn2"), "Add");
                string expected = x;
                if (shortcut is not null)
                {
                    Conv(shortcut, prefix + "downsample.0", kernel: 1, stride);
                    expected = BatchNorm(Only(shortcut.Output[0], "BatchNormalization"), prefix + "downsample.1");
                }
                else if (stride != 1 || planes != channels)
                    throw Unexpected($"{prefix[..^1]} changes shape without a 1x1 shortcut");
                if (!add.Input.Contains(expected)) throw Unexpected($"{prefix[..^1]}'s Add does not read its shortcut");
                channels = planes;
                blocks[^1]++;
                x = Only(add.Output[0], "Relu").Output[0];
            }
            if (blocks.Count != 4) throw Unexpected($"{blocks.Count} stages; expected 4");
            bool resnet18 = blocks.Take(3).SequenceEqual([2, 2, 2]) && blocks[3] >= 2, resnet34 = blocks.SequenceEqual([3, 4, 6, 3]);
            if (!resnet18 && !resnet34) throw Unexpected($"blocks per stage [{string.Join(", ", blocks)}]: neither ResNet-18 nor ResNet-34");
            return [.. blocks];
        }

        public void RequireAllUsed()
        {
            var unused = _initializers.Keys.Where(k => !_used.Contains(k)).ToList();
            if (unused.Count > 0) throw Unexpected($"{unused.Count} weights are not part of the walked network (first: '{unused[0]}')");
        }

        private HostTensor<float> Conv(NodeProto conv, string name, int kernel, int stride)
        {
            if (KernelOf(conv) != kernel || Strides(conv) != stride)
                throw Unexpected($"{name} is {KernelOf(conv)}x{KernelOf(conv)} stride {Strides(conv)}; expected {kernel}x{kernel} stride {stride}");
            if (conv.Input.Count != 2) throw Unexpected($"{name} has a bias; our convolutions have none (batch norm follows)");
            if (IntsOf(conv, "group") is [> 1] || IntsOf(conv, "dilations") is { } d && d.Any(v => v != 1))
                throw Unexpected($"{name} is grouped or dilated");
            // Our padding is symmetric, (k - 1) / 2; CNTK pads the end less for strided convolutions, which gives the
            // same output for even input sizes (the start padding fixes the sampling grid).
            if (IntsOf(conv, "pads") is { } pads && (pads[0] != (kernel - 1) / 2 || pads[1] != (kernel - 1) / 2))
                throw Unexpected($"{name} pads its start by [{pads[0]}, {pads[1]}]; expected {(kernel - 1) / 2}");
            return Take(conv.Input[1], name + ".weight");
        }

        // BatchNormalization(X, scale, B, mean, var): torchvision's weight, bias, running_mean, running_var. Returns its output.
        private string BatchNorm(NodeProto bn, string name)
        {
            float epsilon = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            if (Math.Abs(epsilon - 1e-5f) > 1e-7f) throw Unexpected($"{name} has epsilon {epsilon}; ours is 1e-5");
            string[] fields = ["weight", "bias", "running_mean", "running_var"];
            for (int i = 0; i < 4; i++) Take(bn.Input[i + 1], $"{name}.{fields[i]}");
            return bn.Output[0];
        }

        private HostTensor<float> Take(string initializer, string name)
        {
            if (!_initializers.TryGetValue(initializer, out var tensor)) throw Unexpected($"{name} ('{initializer}') is computed, not a weight");
            if (!_used.Add(initializer)) throw Unexpected($"weight '{initializer}' is used twice");
            var value = TensorProtoReader.Read<float>(tensor);
            Weights[name] = new HostTensor<float>((float[])value.Data.Clone(), value.Shape);
            return value;
        }

        private NodeProto Only(string tensor, string opType)
        {
            var consumers = Consumers(tensor);
            if (consumers.Count != 1 || consumers[0].OpType != opType)
                throw Unexpected($"'{tensor}' feeds [{string.Join(", ", consumers.Select(n => n.OpType))}]; expected one {opType}");
            return consumers[0];
        }

        private IReadOnlyList<NodeProto> Consumers(string tensor) => _consumers.TryGetValue(tensor, out var list) ? list : [];

        private static long[]? IntsOf(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a
            ? (a.Ints.Count > 0 ? [.. a.Ints] : [a.I]) : null;

        private long KernelOf(NodeProto conv)
        {
            var dims = _initializers.TryGetValue(conv.Input[1], out var w) ? w.Dims : null;
            return dims is { Count: 4 } && dims[2] == dims[3] ? dims[2] : -1;
        }

        private static long Strides(NodeProto node) => IntsOf(node, "strides") is { } s && s.All(v => v == s[0]) ? s[0] : 1;
    }
}
