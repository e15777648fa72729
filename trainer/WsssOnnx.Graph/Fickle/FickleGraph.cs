using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Fickle;

/// <summary>
/// fickle.onnx (<see cref="FickleContract"/>): the tail of a <see cref="CamClassifier"/> from its last 3x3 convolution on, that
/// convolution replaced by <see cref="StochasticConvolution"/>, re-run for M selections of N copies at once from the
/// classifier's <see cref="FickleContract.Hidden"/> and <see cref="FickleContract.Shortcut"/> (computed once per image).
/// Parameter names are the classifier's, so the same trained weights load into both.
/// </summary>
public static class FickleGraph
{
    /// <summary>Whether <paramref name="options"/>' last block can take the selection (its 3x3 convolution has stride 1).</summary>
    public static bool Supports(CamClassifierOptions options)
    {
        var g = new GraphBuilder("probe");
        var net = CamClassifier.Build(g, g.Input(ClassifierContract.Image, DataType.Float, [1, 3, 64, 64]), options);
        return net.Backbone.FinalBlock.Conv2Stride == 1;
    }

    /// <summary>Builds the graph; <paramref name="options"/> as the classifier was exported (training-mode normalisation is frozen).</summary>
    public static void Build(GraphBuilder g, CamClassifierOptions options)
    {
        options.Validate();
        var probe = new GraphBuilder("probe");
        var block = CamClassifier.Build(probe, probe.Input(ClassifierContract.Image, DataType.Float, [1, 3, 64, 64]), options).Backbone.FinalBlock;
        if (block.Conv2Stride != 1)
            throw new ArgumentException($"{block.Scope}'s 3x3 convolution has stride {block.Conv2Stride}; FickleNet's selection needs stride 1");
        var norm = options.Backbone.BatchNorm.Mode == BatchNormMode.Training ? options.Backbone.BatchNorm with { Mode = BatchNormMode.Frozen } : options.Backbone.BatchNorm;
        var noUpdates = new List<RunningStatUpdate>();

        var hidden = g.Input(FickleContract.Hidden, DataType.Float, [-1, block.Planes, -1, -1], ["copies", null, "height", "width"]);
        var shortcut = g.Input(FickleContract.Shortcut, DataType.Float, [-1, block.OutChannels, -1, -1], ["copies", null, "height", "width"]);
        var masks = g.Input(FickleContract.KeepMasks, DataType.Float, [-1, -1, FickleContract.Offsets, -1, -1], ["selections", "copies", null, "height", "width"]);

        Value y;
        using (g.Scope(block.Scope))
        {
            Value w;
            using (g.Scope("conv2")) w = g.Parameter("weight", HostTensor<float>.Zeros(block.Planes, block.Planes, 3, 3), trainable: false);
            y = StochasticConvolution.Build(g, hidden, w, masks, block.Dilation);
            using (g.Scope("bn2")) y = BatchNorm.Layer(g, y, norm, trainable: false, noUpdates);
            if (options.Backbone.Depth >= 50)
            {
                y = g.Relu(y);
                using (g.Scope("conv3")) w = g.Parameter("weight", HostTensor<float>.Zeros(block.OutChannels, block.Planes, 1, 1), trainable: false);
                y = g.Conv(y, w);
                using (g.Scope("bn3")) y = BatchNorm.Layer(g, y, norm, trainable: false, noUpdates);
            }
        }
        // out = ReLU(y + shortcut) with the shortcut repeated for every selection: [M N, F', h, w] as [M, N, F', h, w] and back.
        var batch5 = g.Concat([g.Ints(-1), g.ShapeOf(shortcut)], 0);
        var y5 = g.ReshapeDynamic(y, batch5, [-1, -1, block.OutChannels, -1, -1]);
        var features5 = g.Relu(y5 + g.Unsqueeze(shortcut, 0));
        var features = g.ReshapeDynamic(features5, g.Concat([g.Ints(-1), g.Slice(g.ShapeOf(shortcut), [1], [4], [0])], 0), [-1, block.OutChannels, -1, -1]);
        Value classifier;
        using (g.Scope("classifier")) classifier = g.Parameter("weight", HostTensor<float>.Zeros(options.Classes, block.OutChannels, 1, 1), trainable: false);
        g.Output(g.Conv(features, classifier), FickleContract.ClassMaps);
    }
}
