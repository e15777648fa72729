using WsssOnnx.Packages;

namespace WsssOnnx.Training.Optim;

/// <summary>An optimiser that updates one parameter in place from its gradient (SGD with momentum, Adam).</summary>
public interface IParameterOptimizer
{
    /// <summary>Applies one update to <paramref name="parameter"/> in place.</summary>
    void Step(string name, HostTensor<float> parameter, ReadOnlySpan<float> gradient, float learningRate);
}
