using WsssOnnx.Graph.Autodiff;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// The adversarial image of FGSM with a random start (Wong, Rice and Kolter, ICLR 2020, "Fast is better than free",
/// Algorithm 3), for adversarial training in the L∞ ball of radius epsilon:
///   delta_0 ~ U(-epsilon, epsilon),  g = dL/dx at x + delta_0,
///   delta = clip(delta_0 + alpha sign(g), -epsilon, epsilon),  alpha = 1.25 epsilon,
/// and the training loss is then L(x + delta). The adversarial image is a constant of the step: no gradient flows
/// through its construction (sign is piecewise constant, and a StopGradient makes it explicit).
/// </summary>
public static class FastAdversarialExample
{
    /// <summary>alpha / epsilon: the paper's step, 1.25 epsilon.</summary>
    public const float StepRatio = 1.25f;

    /// <summary>
    /// x + delta for the loss <paramref name="startLoss"/> that the network computed at <paramref name="startPoint"/> =
    /// <paramref name="image"/> + <paramref name="start"/> (delta_0, drawn by the caller in [-epsilon, epsilon]).
    /// </summary>
    public static Value Build(GraphBuilder g, Value image, Value start, Value startPoint, Value startLoss, float epsilon)
    {
        if (!(epsilon is > 0f and <= 10f)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be above 0 and at most 10");
        var gradient = GradientBuilder.Gradients(g, startLoss, [startPoint])[0];
        var delta = g.Clip(start + g.Sign(gradient) * (StepRatio * epsilon), -epsilon, epsilon);
        return g.StopGradient(image + delta);
    }
}
