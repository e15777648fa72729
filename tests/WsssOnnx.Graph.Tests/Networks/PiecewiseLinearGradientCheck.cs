using WsssOnnx.Graph.Autodiff;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using Xunit.Abstractions;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Networks;

/// <summary>
/// Finite-difference check for networks that are piecewise affine in what is perturbed (convolutions, frozen batch
/// normalisation, ReLU, max-pool, average pooling): L = sum(R * f) with a fixed random R, differentiated with respect
/// to the input "x" and/or named parameters (perturbed by rewriting the initializer and reloading the model).
/// <para>
/// Why not <see cref="GradientCheck"/> with a small epsilon: a deep unit sees every pixel, so one unit whose
/// pre-activation lies within |du/dx| eps of zero bends L for every coordinate; central differences then average two
/// slopes while the graph (rightly) gives the one at the point. Measured on the tiny ResNet-18: one layer4 unit at
/// 1e-4 from its kink made the central difference 2.8% off for most pixels, at every eps from 3e-3 to 1e-1.
/// </para>
/// <para>
/// So the check records the activation pattern (the sign of every ReLU input and every max-pool argmax) at x and at
/// x +- eps e_k and uses the largest eps (of 1e-2, 3e-3, 1e-3) that leaves it unchanged: there L is affine on the
/// segment and the central difference is exact but for float32 rounding, which is bounded by
/// <see cref="RoundingFactor"/> * sum|R f| / (2 eps). Coordinates whose pattern changes even at 1e-3 are skipped and
/// counted; a minimum number must be checked.
/// </para>
/// </summary>
internal sealed class PiecewiseLinearGradientCheck(ITestOutputHelper output)
{
    private static readonly double[] Epsilons = [1e-2, 3e-3, 1e-3];

    /// <summary>
    /// Rounding error of L relative to sum|R f| (the magnitude its float32 sums work at). float32 has u = 6e-8 and L
    /// goes through ~20 layers of sums; the worst ratio measured on the tiny ResNet-18 (about 60 coordinates, image and
    /// parameters) was 2.4e-7, i.e. 4 u. 1e-6 leaves a factor 4 over that: for sum|R f| ~ 3 the absolute bound is
    /// 1.5e-4 at eps 1e-2 and 1.5e-3 at eps 1e-3, against image gradients of 1e-3 to 1e-1.
    /// </summary>
    public double RoundingFactor { get; init; } = 1e-6;

    /// <summary>The analytic gradient's own rounding, and the part of the bound that does not shrink with eps.</summary>
    public double RelativeTolerance { get; init; } = 1e-3;

    public int CoordinatesPerTensor { get; init; } = 24;

    /// <summary>Coordinates per tensor that must keep their activation pattern (and so be checked).</summary>
    public int MinimumChecked { get; init; } = 12;

    public void Check(string name, int seed, Func<GraphBuilder, Value, Value> build, HostTensor<float> input, bool withInput, params string[] parameters)
    {
        output.WriteLine($"{name}: seed {seed}");
        var rng = new Random(seed);
        var g = new GraphBuilder(name);
        var x = g.Input("x", DataType.Float, input.Shape);
        var y = build(g, x);
        var forward = g.Nodes.ToList();
        var r = g.Constant(GradientCheck.Random(rng, y.Shape));
        var loss = g.Output(g.SumAll(y * r), "loss");
        g.Output(g.SumAll(g.Abs(y * r)), "scale");

        var wrt = new List<(string Label, Value Value)>();
        if (withInput) wrt.Add(("x", x));
        foreach (var p in parameters) wrt.Add((p, g.Parameters.Single(q => q.Name == p).Value));
        var grads = GradientBuilder.Gradients(g, loss, [.. wrt.Select(w => w.Value)]);
        for (int i = 0; i < grads.Count; i++) g.Output(grads[i], $"grad_{i}");

        var pattern = new List<string>();
        foreach (var node in forward)
        {
            if (node.OpType == "Relu") pattern.Add(g.Output(g.Greater(node.Inputs[0]!, g.Scalar(0f)), $"pattern_{pattern.Count}").Name);
            else if (node.OpType == "MaxPool") pattern.Add(g.Output(node.Outputs[1], $"pattern_{pattern.Count}").Name);
        }
        string[] probe = ["loss", .. pattern];

        (string, Array, long[]) Feed() => ("x", input.Data, input.Shape);
        var baseline = NetworkSession.Run(g, Feed());
        double scale = baseline.Float("scale").Data[0];
        using var session = ModelSession.Load(g.ToBytes(), name, NetworkSession.Config);

        for (int i = 0; i < wrt.Count; i++)
        {
            var (label, _) = wrt[i];
            bool isInput = label == "x";
            var data = isInput ? input : g.ParameterValue(label);
            var grad = baseline.Float($"grad_{i}");
            Assert.Equal(data.Shape, grad.Shape);
            int checkedCount = 0, skipped = 0;
            double worst = 0;
            var coordinates = Enumerable.Range(0, CoordinatesPerTensor).Select(_ => rng.Next(data.Data.Length)).Distinct().ToList();
            foreach (int k in coordinates)
            {
                float original = data.Data[k];
                Dictionary<string, (Array Data, long[] Shape)> At(double delta)
                {
                    data.Data[k] = (float)(original + delta);
                    try
                    {
                        if (isInput) return NetworkSession.Run(session, probe, Feed());
                        g.SetParameter(label, data);
                        using var perturbed = ModelSession.Load(g.ToBytes(), name, NetworkSession.Config);
                        return NetworkSession.Run(perturbed, probe, Feed());
                    }
                    finally
                    {
                        data.Data[k] = original;
                        if (!isInput) g.SetParameter(label, data);
                    }
                }

                bool Unchanged(Dictionary<string, (Array Data, long[] Shape)> at) => pattern.All(p => SamePattern(baseline[p].Data, at[p].Data));
                double? numeric = null, eps = null;
                foreach (double e in Epsilons)
                {
                    // The difference quotient uses the float32 values actually fed, not the nominal step.
                    double step = (double)(float)(original + e) - (float)(original - e);
                    var plus = At(e);
                    if (!Unchanged(plus)) continue;
                    var minus = At(-e);
                    if (!Unchanged(minus)) continue;
                    numeric = ((double)plus.Float("loss").Data[0] - minus.Float("loss").Data[0]) / step;
                    eps = e;
                    break;
                }
                if (numeric is not { } n || eps is not { } used)
                {
                    skipped++;
                    continue;
                }
                checkedCount++;
                double a = grad.Data[k];
                double bound = RoundingFactor * scale / (2 * used) + RelativeTolerance * Math.Max(Math.Abs(a), Math.Abs(n));
                output.WriteLine($"  {label}[{k}]: graph {a:G6}, finite difference {n:G6} (eps {used}, bound {bound:G3})");
                worst = Math.Max(worst, Math.Abs(a - n) * 2 * used / scale);
                Assert.True(Math.Abs(a - n) <= bound,
                    $"{name} (seed {seed}): dL/d{label}[{k}] = {a:G6} by the graph, {n:G6} by finite differences with eps {used} (bound {bound:G3})");
            }
            output.WriteLine($"{label}: {checkedCount} coordinates checked (largest |graph - fd| 2 eps / sum|R f| = {worst:G3}), {skipped} skipped (activation pattern changed within +-1e-3)");
            Assert.True(checkedCount >= Math.Min(MinimumChecked, coordinates.Count),
                $"{name} (seed {seed}): only {checkedCount} of {coordinates.Count} coordinates of {label} kept their activation pattern");
        }
    }

    private static bool SamePattern(Array a, Array b) => a switch
    {
        bool[] x => x.AsSpan().SequenceEqual((bool[])b),
        long[] x => x.AsSpan().SequenceEqual((long[])b),
        _ => throw new NotSupportedException(a.GetType().Name),
    };
}
