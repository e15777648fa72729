namespace WsssOnnx.Graph.Networks;

/// <summary>
/// One of ACoL's classifier heads (the official code's "cls"): Conv3x3(F -> H) + ReLU, Conv3x3(H -> H) + ReLU,
/// Conv1x1(H -> C), all with biases, on features [N, F, h, w]; its output is the class maps S [N, C, h, w]. The paper's
/// VGG heads have H = 1024 on F = 512; here H = F, which keeps the head's cost near the backbone's last stage.
/// </summary>
public sealed class AcolHead
{
    private readonly Value _w1, _b1, _w2, _b2, _w3, _b3;

    private AcolHead(Value w1, Value b1, Value w2, Value b2, Value w3, Value b3) => (_w1, _b1, _w2, _b2, _w3, _b3) = (w1, b1, w2, b2, w3, b3);

    /// <summary>The last 1x1 convolution's weight [C, H, 1, 1]: the head's linear classifier over its hidden features.</summary>
    public Value Classifier => _w3;

    /// <summary>Creates the head's parameters under <paramref name="scope"/> (PyTorch's default Conv2d initialisation).</summary>
    public static AcolHead Create(GraphBuilder g, string scope, long features, int classes, Random rng)
    {
        long hidden = features;
        using (g.Scope(scope))
        {
            Value Conv(string name, long output, long input, long k) =>
                g.Parameter($"{name}.weight", Initializers.TorchConvDefault(rng, output, input, k, k));
            Value Bias(string name, long output, long input, long k) =>
                g.Parameter($"{name}.bias", Initializers.Uniform(rng, 1.0 / Math.Sqrt(input * k * k), output));
            var w1 = Conv("conv1", hidden, features, 3);
            var b1 = Bias("conv1", hidden, features, 3);
            var w2 = Conv("conv2", hidden, hidden, 3);
            var b2 = Bias("conv2", hidden, hidden, 3);
            var w3 = Conv("conv3", classes, hidden, 1);
            var b3 = Bias("conv3", classes, hidden, 1);
            return new AcolHead(w1, b1, w2, b2, w3, b3);
        }
    }

    /// <summary>S = head(f), [N, C, h, w].</summary>
    public Value Apply(GraphBuilder g, Value features)
    {
        var h = g.Relu(g.Conv(features, _w1, _b1, pads: [1, 1, 1, 1]));
        h = g.Relu(g.Conv(h, _w2, _b2, pads: [1, 1, 1, 1]));
        return g.Conv(h, _w3, _b3);
    }
}
