using System.Numerics.Tensors;
using WsssOnnx.Packages;

namespace WsssOnnx.Training.Optim;

/// <summary>
/// Adam (Kingma and Ba, ICLR 2015) in PyTorch's form without weight decay: with t the parameter's step count,
/// m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g², theta = theta - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
/// Hung et al.'s discriminator trains with it (lr 1e-4, betas 0.9 and 0.99).
/// </summary>
public sealed class Adam : IParameterOptimizer
{
    private readonly Dictionary<string, Moments> _moments = new(StringComparer.Ordinal);

    public Adam(float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        if (beta1 is < 0f or >= 1f) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1)");
        if (beta2 is < 0f or >= 1f) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1)");
        if (!(epsilon > 0f) || !float.IsFinite(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be a positive number");
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    public float Beta1 { get; }

    public float Beta2 { get; }

    public float Epsilon { get; }

    /// <summary>One parameter's first and second moments and how many steps they have seen.</summary>
    public sealed record Moments(float[] First, float[] Second)
    {
        public long Steps { get; set; }
    }

    /// <summary>The moments by parameter name (saved in checkpoints).</summary>
    public IReadOnlyDictionary<string, Moments> State => _moments;

    public void Step(string name, HostTensor<float> parameter, ReadOnlySpan<float> gradient, float learningRate)
    {
        var theta = parameter.Span;
        if (gradient.Length != theta.Length) throw new ArgumentException($"gradient of {name} has {gradient.Length} elements, the parameter {theta.Length}");
        if (!_moments.TryGetValue(name, out var state))
            _moments[name] = state = new Moments(new float[theta.Length], new float[theta.Length]);
        state.Steps++;
        float[] m = state.First, v = state.Second;
        // m = b1 m + (1 - b1) g
        TensorPrimitives.Multiply(m, Beta1, m);
        TensorPrimitives.MultiplyAdd(gradient, 1f - Beta1, m, m);
        // v = b2 v + (1 - b2) g²
        TensorPrimitives.Multiply(v, Beta2, v);
        for (int i = 0; i < v.Length; i++) v[i] += (1f - Beta2) * gradient[i] * gradient[i];
        double firstCorrection = 1 - Math.Pow(Beta1, state.Steps), secondCorrection = 1 - Math.Pow(Beta2, state.Steps);
        float stepSize = (float)(learningRate / firstCorrection), secondScale = (float)(1 / secondCorrection);
        // theta -= lr / (1 - b1^t) · m / (sqrt(v / (1 - b2^t)) + eps)
        for (int i = 0; i < theta.Length; i++)
            theta[i] -= stepSize * m[i] / (MathF.Sqrt(v[i] * secondScale) + Epsilon);
    }

    /// <summary>Restores the moments from a checkpoint.</summary>
    public void Restore(IReadOnlyDictionary<string, Moments> state)
    {
        _moments.Clear();
        foreach (var (name, s) in state)
            _moments[name] = new Moments((float[])s.First.Clone(), (float[])s.Second.Clone()) { Steps = s.Steps };
    }
}
