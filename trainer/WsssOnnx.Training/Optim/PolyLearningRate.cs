namespace WsssOnnx.Training.Optim;

/// <summary>The "poly" schedule of DeepLab and IRN: lr(t) = lr_0 (1 - t / T)^power, power 0.9.</summary>
public sealed record PolyLearningRate(float BaseRate, int TotalSteps, float Power = 0.9f)
{
    public float At(int step) =>
        step >= TotalSteps ? 0f : BaseRate * MathF.Pow(1f - (float)step / TotalSteps, Power);
}
