using System.Globalization;
using WsssOnnx.Graph.Climbing;
using WsssOnnx.Onnx;
using WsssOnnx.Packages;
using WsssOnnx.Packages.Onnx;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Import;

/// <summary>
/// An external CAM-style ONNX classifier (features f(x), global average pooling, a linear head: a torchvision ResNet or
/// MobileNetV2 export) read into our classifier form. The backbone is replayed node by node into a <see cref="GraphBuilder"/>
/// (so our autodiff can write the climbing graph), BatchNormalization after a Conv folded into it; the head becomes
/// the 1x1 classifier W [C, F, 1, 1], giving class maps S = W * f(x) and logits z = W GAP(f) + b.
/// </summary>
public sealed class OnnxClassifier
{
    /// <summary>The ops the backbone may contain.</summary>
    public static IReadOnlyList<string> SupportedOps { get; } =
    [
        "Conv", "BatchNormalization", "Relu", "Sigmoid", "Clip", "Add", "Sub", "Mul", "Div", "Concat", "Identity", "Dropout",
        "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean", "Flatten", "Reshape", "Constant",
    ];

    private static readonly HashSet<string> ShapeOnly = ["Flatten", "Reshape", "Squeeze", "Identity", "Dropout"];

    private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
    private readonly List<NodeProto> _backbone;
    private readonly Dictionary<string, (HostTensor<float> W, HostTensor<float> B)> _foldedConvs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _foldedNorms = new(StringComparer.Ordinal);
    private readonly HashSet<string> _undilated = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dilated = new(StringComparer.Ordinal);

    private OnnxClassifier(string input, string features, string head, HostTensor<float> weight, float[]? bias, List<NodeProto> backbone)
    {
        InputName = input;
        FeaturesName = features;
        HeadName = head;
        HeadWeight = weight;
        HeadBias = bias;
        _backbone = backbone;
    }

    /// <summary>The source graph's image input.</summary>
    public string InputName { get; }

    /// <summary>The source graph's feature map f, the input of the head's pooling.</summary>
    public string FeaturesName { get; }

    /// <summary>The head's node (Gemm or MatMul).</summary>
    public string HeadName { get; }

    /// <summary>W [C, F, 1, 1] (Gemm's alpha folded in).</summary>
    public HostTensor<float> HeadWeight { get; }

    /// <summary>b [C] (Gemm's beta folded in), or null when the head has none.</summary>
    public float[]? HeadBias { get; }

    public int Classes => (int)HeadWeight.Shape[0];

    public int FeatureChannels => (int)HeadWeight.Shape[1];

    /// <summary>Nodes of the source backbone (from the input to f), for reports.</summary>
    public int BackboneNodes => _backbone.Count;

    /// <summary>BatchNormalization nodes folded into their Conv.</summary>
    public int FoldedNorms => _foldedNorms.Count;

    /// <summary>Reads <paramref name="model"/>; throws <see cref="OnnxImportException"/> when it is not a classifier this can rewrite.</summary>
    public static OnnxClassifier Read(ModelProto model, OnnxImportOptions? options = null)
    {
        options ??= new OnnxImportOptions();
        var graph = model.Graph ?? throw new OnnxImportException("The ONNX model has no graph.");
        long opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (opset is < 11 or > 17) throw new OnnxImportException($"The ONNX model uses opset {opset}; package-classifier reads opsets 11 to 17 (torch.onnx.export's opset_version=13 to 17).");
        foreach (var node in graph.Node)
            if (node.Domain is not ("" or "ai.onnx")) throw Unsupported(node, $"is in domain '{node.Domain}'");

        var constants = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer) constants[t.Name] = t;
        foreach (var node in graph.Node)
        {
            // Constants, and Identity of a constant (torch.onnx.export writes one for each shared weight), are read at import.
            if (node.OpType == "Constant") constants[node.Output[0]] = ConstantValue(node);
            else if (node.OpType == "Identity" && constants.TryGetValue(node.Input[0], out var aliased)) constants[node.Output[0]] = aliased;
        }

        var images = graph.Input.Where(i => !constants.ContainsKey(i.Name)).ToList();
        if (images.Count != 1) throw new OnnxImportException($"The ONNX model has {images.Count} non-constant inputs; a classifier has one, the image.");
        string input = images[0].Name;

        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var o in node.Output) producers[o] = node;
            foreach (var i in node.Input.Where(i => i.Length > 0))
            {
                if (!consumers.TryGetValue(i, out var list)) consumers[i] = list = [];
                list.Add(node);
            }
        }

        var (features, head, headWeight, headBias) = FindHead(graph, options, constants, producers, consumers);

        // The backbone: the nodes f depends on, in the file's (topological) order.
        var needed = new HashSet<string>(StringComparer.Ordinal) { features };
        var backbone = new List<NodeProto>();
        foreach (var node in graph.Node.Reverse())
        {
            if (!node.Output.Any(needed.Contains) || constants.ContainsKey(node.Output[0])) continue;
            backbone.Add(node);
            foreach (var i in node.Input.Where(i => i.Length > 0)) needed.Add(i);
        }
        backbone.Reverse();
        if (!needed.Contains(input)) throw new OnnxImportException($"The feature map '{features}' does not depend on the image input '{input}'.");

        var classifier = new OnnxClassifier(input, features, head, headWeight, headBias, backbone);
        foreach (var (k, v) in constants) classifier._constants[k] = v;
        classifier.FoldNorms(producers, consumers);
        if (options.DilateLastStage) classifier.PlanDilation();
        foreach (var node in backbone.Where(n => !SupportedOps.Contains(n.OpType)))
            throw Unsupported(node, $"uses op {node.OpType}, which package-classifier does not support (it reads {string.Join(", ", SupportedOps)})");
        // A trial replay on a free-size image: every node's attributes and shapes are checked here, not when a package is half written.
        var trial = new GraphBuilder("trial");
        classifier.Backbone(trial, trial.Input(input, DataType.Float, [-1, 3, -1, -1]));
        return classifier;
    }

    /// <summary>The backbone as our climbing and classifier builders take it: f(x) and W (parameter "classifier.weight").</summary>
    public CamBackbone Backbone => (g, x) => (Replay(g, x), g.Parameter("classifier.weight", HeadWeight, trainable: false));

    /// <summary>
    /// classifier.onnx's outputs on <paramref name="image"/>: logits z = W GAP(f) + b [N, C], class maps S = W * f [N, C, h, w]
    /// (without b, as CAM of Zhou et al. 2016: b does not vary over the image), and the classifier W.
    /// </summary>
    public (Value Logits, Value ClassMaps, Value Classifier) BuildClassifier(GraphBuilder g, Value image)
    {
        var (f, w) = Backbone(g, image);
        var logits = g.Flatten(g.Conv(g.GlobalAveragePool(f), w), 1);
        if (HeadBias is not null) logits = g.Add(logits, g.Parameter("classifier.bias", new HostTensor<float>(HeadBias, HeadBias.Length), trainable: false));
        return (logits, g.Conv(f, w), w);
    }

    /// <summary>The feature stride: image size over class-map size for a 1024 x 1024 image, from the shapes our builder infers.</summary>
    public int MeasureStride()
    {
        const int size = 1024;
        var g = new GraphBuilder("stride");
        var (f, _) = Backbone(g, g.Input("image", DataType.Float, [1, 3, size, size]));
        if (f.Rank != 4 || f.Dim(2) <= 0 || f.Dim(3) <= 0) throw new OnnxImportException($"The feature map '{FeaturesName}' has shape {f}; a CAM needs [N, F, h, w].");
        return (int)Math.Round(size / (double)f.Dim(2));
    }

    // ---- finding the head ----

    private static (string Features, string Head, HostTensor<float> Weight, float[]? Bias) FindHead(GraphProto graph, OnnxImportOptions options,
        Dictionary<string, TensorProto> constants, Dictionary<string, NodeProto> producers, Dictionary<string, List<NodeProto>> consumers)
    {
        IEnumerable<NodeProto> heads = graph.Node.Where(n => n.OpType is "Gemm" or "MatMul");
        if (options.Head is { } headName)
        {
            heads = heads.Where(n => n.Name == headName || n.Output.Contains(headName) || n.Input.Skip(1).Contains(headName)).ToList();
            if (!heads.Any()) throw new OnnxImportException($"The ONNX model has no Gemm or MatMul node named '{headName}' (or with that output or weight).");
        }
        string? why = null;
        foreach (var head in heads.Reverse())
        {
            // Back from the head through shape-only ops to the pooling; its input is f.
            string pooled = head.Input[0];
            while (producers.TryGetValue(pooled, out var p) && ShapeOnly.Contains(p.OpType)) pooled = p.Input[0];
            // The reason given is the last candidate's: the layer the model's output comes from.
            if (!producers.TryGetValue(pooled, out var pool) || !IsGlobalPool(pool))
            {
                why ??= $"its last linear layer '{NodeName(head)}' does not read a global average pooling of the features";
                continue;
            }
            string features = pool.Input[0];
            if (options.Features is { } f && f != features)
            {
                why ??= $"the linear layer '{NodeName(head)}' pools '{features}', not '{f}'";
                continue;
            }
            if (!constants.TryGetValue(head.Input[1], out var weightProto))
            {
                why ??= $"the linear layer '{NodeName(head)}' has a computed weight, not an initializer";
                continue;
            }
            var weight = ReadFloat(weightProto, head);
            if (weight.Rank != 2) throw Unsupported(head, $"has a weight of shape [{string.Join(", ", weight.Shape)}]; a linear head has a matrix");
            bool transB = head.OpType == "Gemm" && Int(head, "transB", 0) == 1;
            if (head.OpType == "Gemm" && Int(head, "transA", 0) == 1) throw Unsupported(head, "transposes its input (transA = 1)");
            float alpha = head.OpType == "Gemm" ? Float(head, "alpha", 1f) : 1f, beta = head.OpType == "Gemm" ? Float(head, "beta", 1f) : 1f;
            long classes = transB ? weight.Shape[0] : weight.Shape[1], channels = transB ? weight.Shape[1] : weight.Shape[0];
            var w = new float[classes * channels];
            for (long c = 0; c < classes; c++)
                for (long k = 0; k < channels; k++)
                    w[c * channels + k] = alpha * weight.Data[transB ? c * channels + k : k * classes + c];

            // The bias: Gemm's C, or an Add of a constant right after a MatMul.
            float[]? bias = null;
            string? biasName = head.OpType == "Gemm" ? head.Input.ElementAtOrDefault(2) : null;
            if (head.OpType == "MatMul" && consumers.TryGetValue(head.Output[0], out var after) && after.Count == 1 && after[0].OpType == "Add")
                biasName = after[0].Input.First(i => i != head.Output[0]);
            if (!string.IsNullOrEmpty(biasName))
            {
                if (!constants.TryGetValue(biasName, out var b)) throw Unsupported(head, "adds a computed bias");
                var bt = ReadFloat(b, head);
                if (bt.Length != classes && bt.Length != 1) throw Unsupported(head, $"has a bias of {bt.Length} values for {classes} classes");
                bias = [.. Enumerable.Range(0, (int)classes).Select(c => beta * bt.Data[bt.Length == 1 ? 0 : c])];
            }
            return (features, NodeName(head), new HostTensor<float>(w, classes, channels, 1, 1), bias);
        }
        // One sentence for every case: what was found, the form a CAM needs (Zhou et al. 2016), and the options that name its parts.
        throw new OnnxImportException((why is null ? "The ONNX model has no linear layer (Gemm or MatMul)" : $"The ONNX model is not a CAM-style classifier: {why}") +
            "; package-classifier needs features f, then global average pooling (GlobalAveragePool, or ReduceMean over H and W), then one linear layer " +
            "(Gemm or MatMul) as the head, so a multi-layer head (VGG's) must be replaced by that form and retrained; " +
            "when the model has this form but it is not found, name the feature map and the head with --features and --head.");
    }

    private static bool IsGlobalPool(NodeProto n)
    {
        if (n.OpType == "GlobalAveragePool") return true;
        if (n.OpType != "ReduceMean") return false;
        var axes = Ints(n, "axes");
        return axes is not null && axes.Select(a => a < 0 ? a + 4 : a).Order().SequenceEqual([2L, 3L]);
    }

    // ---- BatchNormalization folding ----

    /// <summary>
    /// Y = BN(Conv(X, W, b)) = Conv(X, W', b') with W'[o] = W[o] s_o, b'_o = (b_o - mu_o) s_o + beta_o, s_o = gamma_o / sqrt(var_o + eps),
    /// for each BN whose input is a Conv read by nothing else. Other BNs are replayed as the same affine map (Mul, Add).
    /// </summary>
    private void FoldNorms(Dictionary<string, NodeProto> producers, Dictionary<string, List<NodeProto>> consumers)
    {
        foreach (var bn in _backbone.Where(n => n.OpType == "BatchNormalization"))
        {
            if (!producers.TryGetValue(bn.Input[0], out var conv) || conv.OpType != "Conv" || consumers[bn.Input[0]].Count != 1) continue;
            if (!_constants.TryGetValue(conv.Input[1], out var wProto)) continue;
            var w = ReadFloat(wProto, conv);
            long outChannels = w.Shape[0], perChannel = w.Length / outChannels;
            var (scale, shift) = NormAffine(bn);
            var b = conv.Input.Count > 2 && conv.Input[2].Length > 0 ? ReadFloat(Constant(conv, conv.Input[2]), conv).Data : new float[outChannels];
            var folded = new float[w.Length];
            var foldedBias = new float[outChannels];
            for (long o = 0; o < outChannels; o++)
            {
                for (long k = 0; k < perChannel; k++) folded[o * perChannel + k] = w.Data[o * perChannel + k] * scale[o];
                foldedBias[o] = b[o] * scale[o] + shift[o];
            }
            _foldedConvs[conv.Output[0]] = (new HostTensor<float>(folded, w.Shape), new HostTensor<float>(foldedBias, outChannels));
            _foldedNorms.Add(bn.Output[0]);
        }
    }

    /// <summary>BN in inference form as y = x scale + shift: scale = gamma / sqrt(var + eps), shift = beta - mean scale.</summary>
    private (float[] Scale, float[] Shift) NormAffine(NodeProto bn)
    {
        if ((bn.Output.Count > 1 && bn.Output.Skip(1).Any(o => o.Length > 0)) || Int(bn, "training_mode", 0) != 0)
            throw Unsupported(bn, "is in training mode; export the model in eval mode");
        float eps = Float(bn, "epsilon", 1e-5f);
        var gamma = ReadFloat(Constant(bn, bn.Input[1]), bn).Data;
        var beta = ReadFloat(Constant(bn, bn.Input[2]), bn).Data;
        var mean = ReadFloat(Constant(bn, bn.Input[3]), bn).Data;
        var variance = ReadFloat(Constant(bn, bn.Input[4]), bn).Data;
        var scale = new float[gamma.Length];
        var shift = new float[gamma.Length];
        for (int c = 0; c < gamma.Length; c++)
        {
            scale[c] = (float)(gamma[c] / Math.Sqrt(variance[c] + (double)eps));
            shift[c] = beta[c] - mean[c] * scale[c];
        }
        return (scale, shift);
    }

    // ---- output stride ----

    /// <summary>
    /// The last stage's downsampling nodes (output stride S, input stride S / 2, S the features' stride) get stride 1; later
    /// convolutions with kernels larger than 1 (input stride S) get dilation 2 and pads doubled, so their windows see the
    /// same image extent as before (DeepLab, Chen et al. 2017).
    /// </summary>
    private void PlanDilation()
    {
        var stride = new Dictionary<string, long>(StringComparer.Ordinal) { [InputName] = 1 };
        long StrideOf(string v) => stride.TryGetValue(v, out var s) ? s : 0;
        foreach (var n in _backbone)
        {
            long inStride = n.Input.Where(i => i.Length > 0).Select(StrideOf).DefaultIfEmpty(0).Max();
            long s = n.OpType is "Conv" or "MaxPool" or "AveragePool" ? Ints(n, "strides")?.FirstOrDefault(1) ?? 1 : 1;
            foreach (var o in n.Output) stride[o] = inStride * s;
        }
        long last = StrideOf(FeaturesName);
        if (last < 2) throw new OnnxImportException($"The feature map '{FeaturesName}' is at stride {last}; there is no downsampling stage to dilate.");
        foreach (var n in _backbone)
        {
            long inStride = n.Input.Where(i => i.Length > 0).Select(StrideOf).DefaultIfEmpty(0).Max();
            if (StrideOf(n.Output[0]) == last && inStride == last / 2 && inStride > 0 && n.OpType is "Conv" or "MaxPool" or "AveragePool")
            {
                if (n.OpType != "Conv") throw Unsupported(n, "downsamples the last stage by pooling, which cannot be dilated; leave out --dilate-last-stage");
                _undilated.Add(n.Output[0]);
            }
            else if (inStride == last && n.OpType == "Conv" && (Ints(n, "kernel_shape") ?? KernelOf(n)).Any(k => k > 1))
            {
                _dilated.Add(n.Output[0]);
            }
            else if (inStride == last && n.OpType is "MaxPool" or "AveragePool")
            {
                throw Unsupported(n, "pools inside the last stage, which cannot be dilated; leave out --dilate-last-stage");
            }
        }
    }

    private long[] KernelOf(NodeProto conv) => ReadFloat(Constant(conv, conv.Input[1]), conv).Shape[2..];

    // ---- replay ----

    /// <summary>Rebuilds the source backbone in <paramref name="g"/> on <paramref name="image"/>; returns f.</summary>
    private Value Replay(GraphBuilder g, Value image)
    {
        var values = new Dictionary<string, Value>(StringComparer.Ordinal) { [InputName] = image };
        var parameters = new Dictionary<string, Value>(StringComparer.Ordinal);
        Value Tensor(NodeProto node, string name)
        {
            if (values.TryGetValue(name, out var v)) return v;
            if (!_constants.TryGetValue(name, out var proto)) throw Unsupported(node, $"reads '{name}', which is neither computed before it nor a constant");
            if (!parameters.TryGetValue(name, out v))
                parameters[name] = v = proto.DataType == (int)DataType.Float
                    ? g.Parameter(ParameterName(name), ReadFloat(proto, node), trainable: false)
                    : throw Unsupported(node, $"reads '{name}' of element type {(DataType)proto.DataType}; only float tensors are computed on");
            return v;
        }

        foreach (var n in _backbone)
        {
            if (_foldedNorms.Contains(n.Output[0]))
            {
                values[n.Output[0]] = values[n.Input[0]];
                continue;
            }
            values[n.Output[0]] = Emit(g, n, Tensor);
        }
        return values[FeaturesName];
    }

    private static string ParameterName(string sourceName) => "imported." + sourceName;

    private Value Emit(GraphBuilder g, NodeProto n, Func<NodeProto, string, Value> tensor)
    {
        Value X() => tensor(n, n.Input[0]);
        switch (n.OpType)
        {
            case "Conv":
                return Conv(g, n, X(), tensor);
            case "BatchNormalization":
                {
                    var (scale, shift) = NormAffine(n);
                    var x = X();
                    long[] shape = [1, scale.Length, .. Enumerable.Repeat(1L, Math.Max(0, x.Rank - 2))];
                    return g.Add(g.Mul(x, g.Constant(new HostTensor<float>(scale, shape))), g.Constant(new HostTensor<float>(shift, shape)));
                }
            case "Relu":
                return g.Relu(X());
            case "Sigmoid":
                return g.Sigmoid(X());
            case "Clip":
                {
                    float? min = n.Input.Count > 1 && n.Input[1].Length > 0 ? ScalarOf(n, n.Input[1]) : n.Attribute.Any(a => a.Name == "min") ? Float(n, "min", 0f) : null;
                    float? max = n.Input.Count > 2 && n.Input[2].Length > 0 ? ScalarOf(n, n.Input[2]) : n.Attribute.Any(a => a.Name == "max") ? Float(n, "max", 0f) : null;
                    return g.Clip(X(), min, max);
                }
            case "Add" or "Sub" or "Mul" or "Div":
                {
                    var a = tensor(n, n.Input[0]);
                    var b = tensor(n, n.Input[1]);
                    return n.OpType switch { "Add" => g.Add(a, b), "Sub" => g.Sub(a, b), "Mul" => g.Mul(a, b), _ => g.Div(a, b) };
                }
            case "Concat":
                return g.Concat([.. n.Input.Select(i => tensor(n, i))], Int(n, "axis", 0));
            case "Identity":
                return X();
            case "Dropout":
                if (n.Output.Count > 1 && n.Output[1].Length > 0) throw Unsupported(n, "outputs its mask, which an inference graph does not have");
                return X();
            case "MaxPool":
                {
                    RequireExplicitPads(n);
                    if (Int(n, "ceil_mode", 0) != 0) throw Unsupported(n, "uses ceil_mode = 1");
                    if (Ints(n, "dilations") is { } d && d.Any(v => v != 1)) throw Unsupported(n, "is a dilated pooling");
                    if (n.Output.Count > 1 && n.Output[1].Length > 0) throw Unsupported(n, "outputs its indices");
                    var kernel = Ints(n, "kernel_shape")!;
                    return g.MaxPool(X(), kernel, Ints(n, "strides") ?? [1, 1], Ints(n, "pads") ?? [0, 0, 0, 0]).Y;
                }
            case "AveragePool":
                return AveragePool(g, n, X());
            case "GlobalAveragePool":
                return g.GlobalAveragePool(X());
            case "ReduceMean":
                {
                    var x = X();
                    long[] axes = Ints(n, "axes") ?? [.. Enumerable.Range(0, x.Rank).Select(a => (long)a)];
                    return g.ReduceMean(x, axes, Int(n, "keepdims", 1) == 1);
                }
            case "Flatten":
                return g.Flatten(X(), Int(n, "axis", 1));
            case "Reshape":
                {
                    if (!_constants.TryGetValue(n.Input[1], out var shape)) throw Unsupported(n, "reshapes to a computed shape");
                    if (Int(n, "allowzero", 0) != 0) throw Unsupported(n, "uses allowzero = 1");
                    return g.Reshape(X(), TensorProtoReader.Read<long>(shape).Data);
                }
            default:
                throw Unsupported(n, $"uses op {n.OpType}, which package-classifier does not support (it reads {string.Join(", ", SupportedOps)})");
        }
    }

    private Value Conv(GraphBuilder g, NodeProto n, Value x, Func<NodeProto, string, Value> tensor)
    {
        RequireExplicitPads(n);
        long[] strides = Ints(n, "strides") ?? [1, 1], dilations = Ints(n, "dilations") ?? [1, 1], pads = Ints(n, "pads") ?? [0, 0, 0, 0];
        if (strides.Length != 2) throw Unsupported(n, "is not a 2-D convolution");
        if (_undilated.Contains(n.Output[0])) strides = [1, 1];
        if (_dilated.Contains(n.Output[0]))
        {
            dilations = [.. dilations.Select(d => 2 * d)];
            // Same output size at the doubled dilation: each pad grows by d (k - 1) / 2, i.e. doubles for the usual "same" pads.
            pads = [.. pads.Select(p => 2 * p)];
        }
        Value w, b;
        if (_foldedConvs.TryGetValue(n.Output[0], out var folded))
        {
            w = g.Parameter(ParameterName(n.Output[0] + ".folded_weight"), folded.W, trainable: false);
            b = g.Parameter(ParameterName(n.Output[0] + ".folded_bias"), folded.B, trainable: false);
            return g.Conv(x, w, b, strides, pads, dilations, Int(n, "group", 1));
        }
        w = tensor(n, n.Input[1]);
        Value? bias = n.Input.Count > 2 && n.Input[2].Length > 0 ? tensor(n, n.Input[2]) : null;
        if (w.Rank != 4) throw Unsupported(n, "is not a 2-D convolution");
        return g.Conv(x, w, bias, strides, pads, dilations, Int(n, "group", 1));
    }

    /// <summary>
    /// AveragePool as a depthwise convolution with the kernel 1 / (kh kw) in every tap (our autodiff has the Conv rule):
    /// exact when no pad is counted out of the window (no pads, or count_include_pad = 1).
    /// </summary>
    private static Value AveragePool(GraphBuilder g, NodeProto n, Value x)
    {
        RequireExplicitPads(n);
        if (Int(n, "ceil_mode", 0) != 0) throw Unsupported(n, "uses ceil_mode = 1");
        long[] kernel = Ints(n, "kernel_shape")!, strides = Ints(n, "strides") ?? [1, 1], pads = Ints(n, "pads") ?? [0, 0, 0, 0];
        if (pads.Any(p => p != 0) && Int(n, "count_include_pad", 0) == 0) throw Unsupported(n, "averages padded windows without counting the pads (count_include_pad = 0)");
        long channels = x.Dim(1);
        if (channels < 0) throw Unsupported(n, "has an unknown channel count");
        long taps = kernel[0] * kernel[1];
        var k = new HostTensor<float>([.. Enumerable.Repeat(1f / taps, (int)(channels * taps))], channels, 1, kernel[0], kernel[1]);
        return g.Conv(x, g.Constant(k), null, strides, pads, [1, 1], channels);
    }

    private static void RequireExplicitPads(NodeProto n)
    {
        string autoPad = n.Attribute.FirstOrDefault(a => a.Name == "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        if (autoPad is not ("NOTSET" or "VALID" or "")) throw Unsupported(n, $"uses auto_pad = {autoPad}; export with explicit pads");
    }

    // ---- constants and attributes ----

    private TensorProto Constant(NodeProto node, string name) =>
        _constants.TryGetValue(name, out var t) ? t : throw Unsupported(node, $"needs '{name}' to be a constant");

    private float ScalarOf(NodeProto node, string name)
    {
        var t = ReadFloat(Constant(node, name), node);
        return t.Length == 1 ? t.Data[0] : throw Unsupported(node, $"has a bound '{name}' that is not a scalar");
    }

    private static HostTensor<float> ReadFloat(TensorProto t, NodeProto node)
    {
        if (t.DataType != (int)DataType.Float) throw Unsupported(node, $"reads '{t.Name}' of element type {(DataType)t.DataType}; only float weights are read");
        if (t.DataLocation == TensorProto.Types.DataLocation.External) throw Unsupported(node, $"reads '{t.Name}' from an external data file; save the model as one file");
        return TensorProtoReader.Read<float>(t);
    }

    private static TensorProto ConstantValue(NodeProto node)
    {
        var a = node.Attribute.FirstOrDefault() ?? throw Unsupported(node, "has no value");
        return a.Name switch
        {
            "value" => a.T,
            "value_float" => TensorProtoWriter.Write(new HostTensor<float>([a.F])),
            "value_floats" => TensorProtoWriter.Write(new HostTensor<float>([.. a.Floats], a.Floats.Count)),
            "value_int" => TensorProtoWriter.Write(new HostTensor<long>([a.I])),
            "value_ints" => TensorProtoWriter.Write(new HostTensor<long>([.. a.Ints], a.Ints.Count)),
            _ => throw Unsupported(node, $"holds a {a.Name}, not a tensor"),
        };
    }

    private static long Int(NodeProto n, string name, long fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    private static float Float(NodeProto n, string name, float fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    private static long[]? Ints(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? [.. a.Ints] : null;

    private static string NodeName(NodeProto n) => n.Name.Length > 0 ? n.Name : n.Output[0];

    private static OnnxImportException Unsupported(NodeProto n, string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"The ONNX model's node '{NodeName(n)}' ({n.OpType}) {what}."));
}
