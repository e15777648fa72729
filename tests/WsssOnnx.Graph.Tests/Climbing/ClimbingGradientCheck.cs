using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using Xunit.Abstractions;

namespace WsssOnnx.Graph.Tests.Climbing;

/// <summary>
/// Finite-difference check of a climbing graph's image gradient dL/dx against its objective L, at λ = 7, τ = 0.5 and
/// ξ = 0.08. The graph must also output pattern_0 … pattern_{n−1}, the comparisons and max-pool argmaxes that fix the
/// piece of the piecewise-smooth L (ReLU masks, the counts in g, the masks M, ...): a coordinate is differenced with the
/// largest eps (1e-2, 3e-3, 1e-3) whose x ± eps e_k keeps the pattern, and skipped if none does.
/// Bound: float32 rounding of L, ~1e-6 (|L| + 1) / (2 eps), plus <paramref name="relativeTolerance"/> of the graph's slope.
/// </summary>
internal static class ClimbingGradientCheck
{
    public static void Check(ModelSession session, HostTensor<float> x, long[] classes, HostTensor<float> initialMap, int patternCount,
        Random rng, double relativeTolerance, ITestOutputHelper output)
    {
        const float lambda = 7f;
        (float Objective, float[] Gradient, string Pattern) Evaluate()
        {
            var inputs = new List<SessionInput>
            {
                SessionInput.Create(ClimberContract.Image, x), SessionInput.Create(ClimberContract.TargetClass, classes, [classes.Length]),
                SessionInput.Create(ClimberContract.InitialMap, initialMap), SessionInput.Create(ClimberContract.MaskWeight, [lambda], []),
                SessionInput.Create(ClimberContract.MaskThreshold, [0.5f], []), SessionInput.Create(ClimberContract.StepSize, [0.08f], []),
            };
            using var r = session.Run(inputs);
            foreach (var i in inputs) i.Dispose();
            var signature = string.Join("|", Enumerable.Range(0, patternCount)
                .Select(i => string.Concat(r.Span<float>($"pattern_{i}").ToArray().Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
            return (r.Span<float>(ClimberContract.Objective)[0], r.Span<float>(ClimberContract.ImageGradient).ToArray(), signature);
        }

        var (objective, gradient, basePattern) = Evaluate();
        output.WriteLine($"objective {objective}");
        Assert.Contains(gradient, v => v != 0f);
        int checkedCount = 0;
        foreach (int k in Enumerable.Range(0, 30).Select(_ => rng.Next(x.Data.Length)).Distinct())
        {
            float original = x.Data[k];
            foreach (double eps in new[] { 1e-2, 3e-3, 1e-3 })
            {
                x.Data[k] = (float)(original + eps);
                var plus = Evaluate();
                x.Data[k] = (float)(original - eps);
                var minus = Evaluate();
                x.Data[k] = original;
                if (plus.Pattern != basePattern || minus.Pattern != basePattern) continue;
                double numeric = (plus.Objective - minus.Objective) / (2 * eps);
                double bound = 1e-6 * (Math.Abs(objective) + 1) / (2 * eps) + relativeTolerance * Math.Abs(gradient[k]);
                Assert.True(Math.Abs(numeric - gradient[k]) <= bound, $"x[{k}] (eps {eps}): graph {gradient[k]:G6}, finite differences {numeric:G6}, bound {bound:G3}");
                checkedCount++;
                break;
            }
        }
        output.WriteLine($"{checkedCount} coordinates checked");
        Assert.True(checkedCount >= 15, $"only {checkedCount} coordinates kept their activation pattern");
    }
}
