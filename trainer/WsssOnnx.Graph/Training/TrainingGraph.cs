using WsssOnnx.Graph.Autodiff;
using WsssOnnx.Graph.Networks;

namespace WsssOnnx.Graph.Training;

/// <summary>
/// What a training step graph computes: the loss, the gradient of every trainable parameter, and the new running
/// statistics of training-mode batch normalisation. Parameters are graph inputs (export with parametersAsInputs).
/// </summary>
/// <param name="Parameters">Trainable parameters, in the order of <paramref name="GradientOutputs"/>.</param>
public sealed record TrainingGraphSpec(string LossOutput, IReadOnlyList<string> Parameters, IReadOnlyList<string> GradientOutputs, IReadOnlyList<RunningStatUpdate> RunningStats)
{
    /// <summary>Scalar outputs logged beside the loss (its terms), by name; forward only, no gradient of their own.</summary>
    public IReadOnlyList<string> Terms { get; init; } = [];
}

public static class TrainingGraph
{
    public const string Loss = "loss";

    public static string GradientOutput(string parameter) => $"grad.{parameter}";

    /// <summary>
    /// Appends dL/dθ for every trainable parameter θ and marks loss, gradients, running statistics and the scalar
    /// <paramref name="terms"/> (what the loss is made of, for the metrics log) as outputs.
    /// </summary>
    public static TrainingGraphSpec Append(GraphBuilder g, Value loss, IReadOnlyList<RunningStatUpdate>? runningStats = null, IReadOnlyList<(string Name, Value Value)>? terms = null)
    {
        var parameters = g.TrainableParameters.ToList();
        if (parameters.Count == 0) throw new InvalidOperationException($"graph {g.Name} has no trainable parameters");
        var gradients = GradientBuilder.Gradients(g, loss, [.. parameters.Select(p => p.Value)]);
        g.Output(loss, Loss);
        var names = new List<string>(parameters.Count);
        for (int i = 0; i < parameters.Count; i++)
        {
            names.Add(GradientOutput(parameters[i].Name));
            g.Output(gradients[i], names[^1]);
        }
        runningStats ??= [];
        foreach (var update in runningStats)
        {
            if (!g.Outputs.Any(o => o == update.Output))
                g.Output(g.Get(update.Output), update.Output);
        }
        terms ??= [];
        foreach (var (name, value) in terms)
        {
            if (value.Rank != 0) throw new ArgumentException($"loss term '{name}' must be a scalar; got {value}", nameof(terms));
            g.Output(value, name);
        }
        return new TrainingGraphSpec(Loss, [.. parameters.Select(p => p.Name)], names, runningStats) { Terms = [.. terms.Select(t => t.Name)] };
    }
}
