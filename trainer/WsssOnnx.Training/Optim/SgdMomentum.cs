using System.Numerics.Tensors;
using WsssOnnx.Packages;

namespace WsssOnnx.Training.Optim;

/// <summary>
/// Stochastic gradient descent with momentum and weight decay, PyTorch's form:
/// v = mu v + (g + wd theta); theta = theta - lr v. Each parameter belongs to a group with its own learning-rate
/// multiplier (IRN trains the new head at 10x the backbone's rate).
/// </summary>
public sealed class SgdMomentum : IParameterOptimizer
{
    private readonly Dictionary<string, float[]> _velocity = new(StringComparer.Ordinal);

    public SgdMomentum(float momentum = 0.9f, float weightDecay = 1e-4f)
    {
        if (momentum is < 0f or >= 1f) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in [0, 1)");
        if (weightDecay < 0f || !float.IsFinite(weightDecay)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weight decay must be a non-negative number");
        Momentum = momentum;
        WeightDecay = weightDecay;
    }

    public float Momentum { get; }

    public float WeightDecay { get; }

    /// <summary>The momentum buffers, by parameter name (saved in checkpoints).</summary>
    public IReadOnlyDictionary<string, float[]> Velocity => _velocity;

    /// <summary>Applies one update to <paramref name="parameter"/> in place.</summary>
    public void Step(string name, HostTensor<float> parameter, ReadOnlySpan<float> gradient, float learningRate)
    {
        var theta = parameter.Span;
        if (gradient.Length != theta.Length) throw new ArgumentException($"gradient of {name} has {gradient.Length} elements, the parameter {theta.Length}");
        if (!_velocity.TryGetValue(name, out var v))
        {
            // PyTorch starts the buffer at the first (decayed) gradient rather than at zero.
            v = new float[theta.Length];
            TensorPrimitives.MultiplyAdd(theta, WeightDecay, gradient, v);
            _velocity[name] = v;
        }
        else
        {
            // v = mu v + g + wd theta
            TensorPrimitives.Multiply(v, Momentum, v);
            TensorPrimitives.Add(v, gradient, v);
            TensorPrimitives.MultiplyAdd(theta, WeightDecay, v, v);
        }
        TensorPrimitives.MultiplyAdd(v, -learningRate, theta, theta);
    }

    /// <summary>Restores momentum buffers from a checkpoint.</summary>
    public void Restore(IReadOnlyDictionary<string, float[]> velocity)
    {
        _velocity.Clear();
        foreach (var (name, v) in velocity) _velocity[name] = (float[])v.Clone();
    }
}
