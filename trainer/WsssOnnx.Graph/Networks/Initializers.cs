using WsssOnnx.Packages;

namespace WsssOnnx.Graph.Networks;

/// <summary>Parameter initial values, drawn from a caller-seeded <see cref="Random"/> in parameter-creation order.</summary>
internal static class Initializers
{
    /// <summary>
    /// He (Kaiming) normal, fan-out mode, ReLU gain, as torchvision's ResNet: W ~ N(0, 2 / (out * kh * kw)).
    /// <paramref name="shape"/> is [out, in, kh, kw].
    /// </summary>
    public static HostTensor<float> HeNormalFanOut(Random rng, params long[] shape) =>
        Normal(rng, Math.Sqrt(2.0 / (shape[0] * shape[2] * shape[3])), shape);

    /// <summary>
    /// PyTorch's default Conv2d weight: kaiming_uniform(a = sqrt 5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    /// fan_in = in * kh * kw (what IRN's classifier starts from; it sets no initialiser of its own).
    /// </summary>
    public static HostTensor<float> TorchConvDefault(Random rng, params long[] shape) =>
        Uniform(rng, 1.0 / Math.Sqrt(shape[1] * shape[2] * shape[3]), shape);

    public static HostTensor<float> Normal(Random rng, double std, params long[] shape)
    {
        var data = new float[HostTensor<float>.ElementCount(shape)];
        for (int i = 0; i < data.Length; i++)
        {
            // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            data[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }
        return new HostTensor<float>(data, shape);
    }

    public static HostTensor<float> Uniform(Random rng, double bound, params long[] shape)
    {
        var data = new float[HostTensor<float>.ElementCount(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
        return new HostTensor<float>(data, shape);
    }

    public static HostTensor<float> Filled(float value, params long[] shape)
    {
        var t = HostTensor<float>.Zeros(shape);
        Array.Fill(t.Data, value);
        return t;
    }
}
