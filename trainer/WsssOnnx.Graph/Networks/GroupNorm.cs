using WsssOnnx.Packages;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// Group normalisation (Wu and He, ECCV 2018, eq. 1-3) built from differentiable ops: x [N, C, H, W] in G groups of
/// C / G channels, y = (x − μ_g) / sqrt(σ²_g + ε) · γ_c + β_c with μ_g and the biased σ²_g over each group's channels
/// and pixels. Parameters "weight" (γ, ones) and "bias" (β, zeros) as torch.nn.GroupNorm. Same in training and inference.
/// </summary>
public static class GroupNorm
{
    public const float Epsilon = 1e-5f;

    public static Value Layer(GraphBuilder g, Value x, long groups)
    {
        long channels = x.Shape[1];
        if (channels <= 0 || channels % groups != 0)
            throw new ArgumentException($"group norm needs a channel count divisible by {groups} groups; got {channels}", nameof(groups));
        var gamma = g.Parameter("weight", Initializers.Filled(1f, channels));
        var beta = g.Parameter("bias", HostTensor<float>.Zeros(channels));
        var grouped = g.Reshape(x, 0, groups, -1);
        var centred = grouped - g.ReduceMean(grouped, [2]);
        var variance = g.ReduceMean(centred * centred, [2]);
        var normalised = g.ReshapeLike(centred / g.Sqrt(variance + g.Scalar(Epsilon)), x);
        return normalised * g.Reshape(gamma, channels, 1, 1) + g.Reshape(beta, channels, 1, 1);
    }
}
