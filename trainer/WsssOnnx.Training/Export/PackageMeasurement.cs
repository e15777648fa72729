namespace WsssOnnx.Training.Export;

/// <summary>
/// What measuring a staged package found: the numbers for its manifest's metrics, and the seed background thresholds to
/// ship as its defaults (null: keep the ones it was staged with).
/// </summary>
public sealed record PackageMeasurement(IReadOnlyDictionary<string, double> Metrics, float? CamBackgroundThreshold = null, float? AdvCamBackgroundThreshold = null);
