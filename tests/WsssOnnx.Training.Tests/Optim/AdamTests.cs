using WsssOnnx.Packages;
using WsssOnnx.Training.Optim;

namespace WsssOnnx.Training.Tests.Optim;

public sealed class AdamTests
{
    [Fact]
    public void Two_steps_match_the_update_rule_worked_by_hand()
    {
        var adam = new Adam(beta1: 0.9f, beta2: 0.99f, epsilon: 1e-8f);
        var theta = new HostTensor<float>([1f, -2f], 2);
        // Step 1, g = (0.5, -4): m = 0.1 g, v = 0.01 g², m̂ = g, v̂ = g²: theta -= lr g / |g| = lr sign(g).
        adam.Step("w", theta, [0.5f, -4f], 0.1f);
        Assert.Equal(0.9f, theta.Data[0], 5);
        Assert.Equal(-1.9f, theta.Data[1], 5);
        // Step 2, g = (1, 0): m = (0.9·0.05 + 0.1, 0.9·-0.4) = (0.145, -0.36); v = (0.99·0.0025 + 0.01, 0.99·0.16) = (0.012475, 0.1584);
        // m̂ = m / 0.19, v̂ = v / 0.0199.
        adam.Step("w", theta, [1f, 0f], 0.1f);
        double step0 = 0.1 * (0.145 / 0.19) / Math.Sqrt(0.012475 / 0.0199), step1 = 0.1 * (-0.36 / 0.19) / Math.Sqrt(0.1584 / 0.0199);
        Assert.Equal(0.9 - step0, theta.Data[0], 5);
        Assert.Equal(-1.9 - step1, theta.Data[1], 5);
        Assert.Equal(2, adam.State["w"].Steps);
    }

    [Fact]
    public void Restored_moments_continue_the_same_trajectory()
    {
        var a = new Adam();
        var b = new Adam();
        var x = new HostTensor<float>([0.3f, 0.7f, -1f], 3);
        a.Step("x", x, [0.1f, -0.2f, 0.3f], 0.01f);
        b.Restore(a.State);
        var y = new HostTensor<float>((float[])x.Data.Clone(), 3);
        a.Step("x", x, [0.2f, 0.2f, -0.1f], 0.01f);
        b.Step("x", y, [0.2f, 0.2f, -0.1f], 0.01f);
        Assert.Equal(x.Data, y.Data);
    }
}
