namespace WsssOnnx.Attribution.Evaluation;

/// <summary>The background thresholds that export and <c>wsss eval --maps</c> sweep to find a map method's best seeds.</summary>
public static class SeedThresholdGrid
{
    /// <summary>
    /// The reference's evaluation grid 0.05, 0.10, ..., 0.50, preceded by 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005,
    /// 0.01, ..., 0.04 (an ImageNet-pretrained classifier's maps are so peaked that its CAM does best where the seeds are
    /// about its positive support: 0.0001 on the synthetic set, 3 points above 0.005, docs/studies.md) and continued to
    /// 0.95 (ACoL's fused maps measured best near 0.65; broad localisers want more).
    /// </summary>
    public static IReadOnlyList<float> Default { get; } = [0.0001f, 0.0002f, 0.0005f, 0.001f, 0.002f, 0.005f, 0.01f, 0.02f, 0.03f, 0.04f,
        .. Enumerable.Range(1, 19).Select(i => (float)Math.Round(i * 0.05, 2))];
}
