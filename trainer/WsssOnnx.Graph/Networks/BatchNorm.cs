using WsssOnnx.Packages;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// Batch normalisation over NCHW tensors, per channel c: y = (x - mu_c) / sqrt(var_c + eps) * scale_c + bias_c, with
/// (mu, var) the running statistics (frozen form) or the statistics of the batch over N, H, W (training form).
/// </summary>
public static class BatchNorm
{
    /// <summary>The eval form: ONNX BatchNormalization with the given running statistics.</summary>
    public static Value Frozen(GraphBuilder g, Value x, Value scale, Value bias, Value runningMean, Value runningVariance, float epsilon = 1e-5f)
    {
        RequireNchw(x, scale, bias, runningMean, runningVariance);
        return g.BatchNormalization(x, scale, bias, runningMean, runningVariance, epsilon);
    }

    /// <summary>
    /// The training form from primitive ops, so autodiff differentiates through the batch statistics:
    /// mu = mean_{N,H,W} x, var = mean_{N,H,W} (x - mu)^2 (biased, used to normalise), and PyTorch's running updates
    /// NextMean = (1 - m) runningMean + m mu, NextVariance = (1 - m) runningVariance + m var n / (n - 1) (unbiased),
    /// n = N H W. The updates are plain values; <see cref="Layer"/> makes them graph outputs.
    /// </summary>
    public static (Value Y, Value NextMean, Value NextVariance) Training(
        GraphBuilder g, Value x, Value scale, Value bias, Value runningMean, Value runningVariance, float epsilon = 1e-5f, float momentum = 0.1f)
    {
        RequireNchw(x, scale, bias, runningMean, runningVariance);
        long channels = x.Shape[1];
        long[] axes = [0, 2, 3];
        var mu = g.ReduceMean(x, axes);                                    // [1, C, 1, 1]
        var centred = x - mu;
        var variance = g.ReduceMean(centred * centred, axes);              // [1, C, 1, 1]
        var inverseStd = g.Reciprocal(g.Sqrt(variance + g.Scalar(epsilon)));
        var y = centred * (inverseStd * g.Reshape(scale, 1, channels, 1, 1)) + g.Reshape(bias, 1, channels, 1, 1);

        // Bessel's correction n / (n - 1), n = N H W: a constant when the shape is static, else from the run-time size.
        Value correction;
        long n = x.IsStatic ? x.Shape[0] * x.Shape[2] * x.Shape[3] : -1;
        if (n > 1) correction = g.Scalar((float)((double)n / (n - 1)));
        else if (n == 1) throw new ArgumentException($"training-mode batch normalisation needs more than one value per channel; {x} has one");
        else
        {
            var count = g.SizeAsFloat(x) / g.Scalar(channels);
            correction = count / g.Clip(count - g.Scalar(1f), 1f, null);
        }

        var nextMean = runningMean * (1f - momentum) + g.Reshape(mu, channels) * momentum;
        var nextVariance = runningVariance * (1f - momentum) + g.Reshape(variance, channels) * correction * momentum;
        return (y, nextMean, nextVariance);
    }

    /// <summary>
    /// A batch-normalisation layer with PyTorch's parameter names in the current scope (weight, bias, running_mean,
    /// running_var; initial 1, 0, 0, 1). Running statistics are never trainable; scale and bias are trainable when
    /// <paramref name="trainable"/> and <see cref="BatchNormOptions.TrainAffine"/>. In training mode the updated
    /// statistics become graph outputs named "{parameter}.next" and are listed in <paramref name="updates"/>.
    /// </summary>
    public static Value Layer(GraphBuilder g, Value x, BatchNormOptions options, bool trainable, ICollection<RunningStatUpdate> updates)
    {
        options.Validate();
        long channels = x.Shape[1];
        if (channels < 0) throw new ArgumentException($"batch normalisation needs a static channel count; {x} has none");
        bool affine = trainable && options.TrainAffine;
        var scale = g.Parameter("weight", Initializers.Filled(1f, channels), affine);
        var bias = g.Parameter("bias", HostTensor<float>.Zeros(channels), affine);
        var mean = g.Parameter("running_mean", HostTensor<float>.Zeros(channels), trainable: false);
        var variance = g.Parameter("running_var", Initializers.Filled(1f, channels), trainable: false);
        if (options.Mode == BatchNormMode.Frozen) return Frozen(g, x, scale, bias, mean, variance, options.Epsilon);
        if (options.Mode == BatchNormMode.Folded) return Folded(g, x, scale, bias, mean, variance, options.Epsilon);

        var (y, nextMean, nextVariance) = Training(g, x, scale, bias, mean, variance, options.Epsilon, options.Momentum);
        // A second build on shared parameters normalises with its own batch's statistics; the first build updates the running ones.
        if (g.IsSharingParameters) return y;
        foreach (var (parameter, next) in new[] { (mean, nextMean), (variance, nextVariance) })
        {
            string output = parameter.Name + ".next";
            g.Output(next, output);
            updates.Add(new RunningStatUpdate(parameter.Name, output));
        }
        return y;
    }

    /// <summary>
    /// Frozen batch normalisation folded into the bias-free convolution that produced <paramref name="x"/>:
    /// BN(Conv(z, W)) = Conv(z, W * s) + (bias - mean * s), s = scale / sqrt(var + eps), per output channel.
    /// </summary>
    public static Value Folded(GraphBuilder g, Value x, Value scale, Value bias, Value runningMean, Value runningVariance, float epsilon = 1e-5f)
    {
        RequireNchw(x, scale, bias, runningMean, runningVariance);
        var conv = x.Producer;
        if (conv is null || conv.OpType != "Conv" || conv.Inputs.Count > 2 && conv.Inputs[2] is not null)
            throw new ArgumentException($"folded batch normalisation needs a bias-free Conv before it; {x} is not one");
        var s = scale * g.Reciprocal(g.Sqrt(runningVariance + g.Scalar(epsilon)));
        var weight = conv.Inputs[1]!;
        var foldedWeight = weight * g.Reshape(s, -1, 1, 1, 1);
        var foldedBias = bias - runningMean * s;
        return g.Conv(conv.Inputs[0]!, foldedWeight, foldedBias, conv.Ints("strides"), conv.Ints("pads"), conv.Ints("dilations"), conv.Int("group", 1));
    }

    private static void RequireNchw(Value x, params Value[] perChannel)
    {
        if (x.Rank != 4) throw new ArgumentException($"batch normalisation expects NCHW input; {x} has rank {x.Rank}");
        foreach (var p in perChannel)
        {
            if (p.Rank != 1 || (x.Shape[1] >= 0 && p.Shape[0] != x.Shape[1]))
                throw new ArgumentException($"batch normalisation of {x} needs per-channel vectors of length {x.Shape[1]}; got {p}");
        }
    }
}
