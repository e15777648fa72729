using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Packages;

namespace WsssOnnx.Cli;

/// <summary>
/// `attribute --trace`: one row per climbing step with L(x_t), its logit term and regulariser (AdvCAM eq. 7's terms,
/// summed over the classes), and per class how A_t compares with A_0 at the same scale: its peak (max A_t / max A_0)
/// and its mass (Σ A_t / Σ A_0). Climbing that works raises the mass while the restriction holds the peak near 1.
/// </summary>
internal static class ClimbingTraceTable
{
    public static string Format(ClimbingTrace trace, IReadOnlyList<string> classNames, float maskThreshold)
    {
        var text = new StringBuilder();
        var header = new StringBuilder("scale  step   objective  logit term  regulariser");
        foreach (string name in classNames) header.Append(CultureInfo.InvariantCulture, $"  {Clip(name) + " peak",13}  {Clip(name) + " mass",13}");
        text.AppendLine(CultureInfo.InvariantCulture, $"climbing trace (restriction mask threshold tau = {maskThreshold:G3}; peak = max A_t / max A_0, mass = sum A_t / sum A_0, per class):");
        text.AppendLine(header.ToString());
        float[]? initialPeak = null, initialMass = null;
        foreach (var step in trace.Steps)
        {
            var (peak, mass) = step.Maps is { } maps ? PeakAndMass(maps) : (null, null);
            if (step.Step == 0) (initialPeak, initialMass) = (peak, mass);
            var row = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
                $"{step.Scale,5:0.##}  {step.Step,4}  {step.Objective,10:G5}  {step.LogitTerm,10:G5}  {step.Regulariser,11:G4}"));
            for (int k = 0; k < classNames.Count; k++)
            {
                row.Append(CultureInfo.InvariantCulture, $"  {Ratio(peak, initialPeak, k),13}  {Ratio(mass, initialMass, k),13}");
            }
            text.AppendLine(row.ToString());
        }
        return text.ToString();
    }

    private static (float[] Peak, float[] Mass) PeakAndMass(HostTensor<float> maps)
    {
        int classes = (int)maps.Shape[0], plane = (int)(maps.Shape[1] * maps.Shape[2]);
        var peak = new float[classes];
        var mass = new float[classes];
        for (int k = 0; k < classes; k++)
        {
            var map = maps.Data.AsSpan(k * plane, plane);
            peak[k] = TensorPrimitives.Max(map);
            mass[k] = TensorPrimitives.Sum(map);
        }
        return (peak, mass);
    }

    private static string Ratio(float[]? now, float[]? initial, int k) =>
        now is null || initial is null || initial[k] <= 0 ? "-" : (now[k] / initial[k]).ToString("0.000", CultureInfo.InvariantCulture);

    private static string Clip(string name) => name.Length <= 8 ? name : name[..8];
}
