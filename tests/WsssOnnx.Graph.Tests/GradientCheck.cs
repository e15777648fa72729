using WsssOnnx.Graph.Autodiff;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using Xunit.Abstractions;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests;

/// <summary>
/// Checks gradients that <see cref="GradientBuilder"/> writes into a graph against central finite differences.
/// The objective is L = sum(R * f(inputs)) with a fixed random R, so every output element's gradient is exercised.
/// </summary>
internal sealed class GradientCheck(ITestOutputHelper output)
{
    /// <summary>
    /// Float32 central differences: truncation error ~ eps^2 |f'''| and rounding error ~ 1e-7 |L| / eps. With eps = 1e-2
    /// on O(1) inputs and |L| up to ~1e2 both stay near 1e-3, so a 2% relative (plus 2e-3 absolute) bound separates a
    /// correct rule from a wrong one (which is typically off by O(1)).
    /// </summary>
    public double Epsilon { get; init; } = 1e-2;

    public double RelativeTolerance { get; init; } = 2e-2;

    public double AbsoluteTolerance { get; init; } = 2e-3;

    /// <summary>Coordinates checked per input (all of them if the input is smaller).</summary>
    public int CoordinatesPerInput { get; init; } = 24;

    public delegate Value Function(GraphBuilder g, Value[] inputs);

    public void Check(string name, int seed, Function f, params HostTensor<float>[] inputs) =>
        Check(name, seed, f, inputs, dynamicAxes: null);

    /// <summary>
    /// Builds f, differentiates L with respect to every input, and compares with finite differences.
    /// <paramref name="dynamicAxes"/> declares input axes as unknown at build time (run-time shapes).
    /// </summary>
    public void Check(string name, int seed, Function f, HostTensor<float>[] inputs, int[][]? dynamicAxes)
    {
        output.WriteLine($"{name}: seed {seed}");
        var rng = new Random(seed);
        HostTensor<float>? weights = null;

        GraphBuilder Build(bool withGradients)
        {
            var g = new GraphBuilder(name);
            var values = inputs.Select((t, i) =>
            {
                var shape = (long[])t.Shape.Clone();
                if (dynamicAxes is not null && i < dynamicAxes.Length)
                    foreach (int a in dynamicAxes[i]) shape[a] = -1;
                return g.Input($"x{i}", DataType.Float, shape);
            }).ToArray();
            var y = f(g, values);
            if (weights is null)
            {
                // R is drawn once, from the first build's output shape; the graph is static or run on the same shapes.
                var shape = y.IsStatic ? y.Shape : StaticOutputShape(name, f, inputs);
                weights = new HostTensor<float>(RandomData(rng, HostTensor<float>.ElementCount(shape)), shape);
            }
            var loss = g.SumAll(y * g.Constant(weights));
            g.Output(loss, "loss");
            if (withGradients)
            {
                var grads = GradientBuilder.Gradients(g, loss, values);
                for (int i = 0; i < grads.Count; i++) g.Output(grads[i], $"grad_x{i}");
            }
            return g;
        }

        var withGrad = Build(withGradients: true);
        using var gradSession = ModelSession.Load(withGrad.ToBytes(), name + "_grad", new SessionConfig { WarmUp = false, IntraOpThreads = 1 });
        using var lossSession = ModelSession.Load(Build(withGradients: false).ToBytes(), name, new SessionConfig { WarmUp = false, IntraOpThreads = 1 });

        float[][] analytic;
        {
            var feeds = inputs.Select((t, i) => SessionInput.Create($"x{i}", t)).ToList();
            using var result = gradSession.Run(feeds);
            analytic = [.. inputs.Select((t, i) =>
            {
                var grad = result.ToHost<float>($"grad_x{i}");
                Assert.True(grad.Shape.SequenceEqual(t.Shape), $"{name}: gradient of x{i} has shape [{string.Join(",", grad.Shape)}], input [{string.Join(",", t.Shape)}]");
                return grad.Data;
            })];
            foreach (var feed in feeds) feed.Dispose();
        }

        double Loss()
        {
            var feeds = inputs.Select((t, i) => SessionInput.Create($"x{i}", t)).ToList();
            using var result = lossSession.Run(feeds);
            double l = result.Span<float>("loss")[0];
            foreach (var feed in feeds) feed.Dispose();
            return l;
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            var data = inputs[i].Data;
            var coordinates = data.Length <= CoordinatesPerInput
                ? Enumerable.Range(0, data.Length)
                : Enumerable.Range(0, CoordinatesPerInput).Select(_ => rng.Next(data.Length)).Distinct();
            foreach (int k in coordinates)
            {
                float original = data[k];
                data[k] = (float)(original + Epsilon);
                double plus = Loss();
                data[k] = (float)(original - Epsilon);
                double minus = Loss();
                data[k] = original;
                double numeric = (plus - minus) / (2 * Epsilon);
                double a = analytic[i][k];
                double bound = AbsoluteTolerance + RelativeTolerance * Math.Max(Math.Abs(a), Math.Abs(numeric));
                Assert.True(Math.Abs(a - numeric) <= bound,
                    $"{name} (seed {seed}): dL/dx{i}[{k}] = {a:G6} by the graph, {numeric:G6} by finite differences (bound {bound:G3})");
            }
        }
    }

    /// <summary>The output shape for these inputs, from a build with every input shape known.</summary>
    private static long[] StaticOutputShape(string name, Function f, HostTensor<float>[] inputs)
    {
        var g = new GraphBuilder(name + "_static");
        var y = f(g, [.. inputs.Select((t, i) => g.Input($"x{i}", DataType.Float, t.Shape))]);
        return y.IsStatic ? y.Shape : throw new NotSupportedException($"{name}: output {y} has no static shape even for static inputs");
    }

    public static float[] RandomData(Random rng, long count, double scale = 1.0)
    {
        var data = new float[count];
        for (long i = 0; i < count; i++) data[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return data;
    }

    public static HostTensor<float> Random(Random rng, params long[] shape) =>
        new(RandomData(rng, HostTensor<float>.ElementCount(shape)), shape);

    /// <summary>Values at least <paramref name="gap"/> apart in magnitude from 0 (away from ReLU/Abs kinks).</summary>
    public static HostTensor<float> AwayFromZero(Random rng, double gap, params long[] shape)
    {
        var t = Random(rng, shape);
        for (int i = 0; i < t.Data.Length; i++) t.Data[i] = (float)(Math.Sign(t.Data[i] == 0 ? 1 : t.Data[i]) * (gap + Math.Abs(t.Data[i])));
        return t;
    }

    /// <summary>Distinct values spaced <paramref name="step"/> apart in random order (no ties for Max-type ops).</summary>
    public static HostTensor<float> Distinct(Random rng, double step, params long[] shape)
    {
        long count = HostTensor<float>.ElementCount(shape);
        var order = Enumerable.Range(0, (int)count).OrderBy(_ => rng.Next()).ToArray();
        var data = new float[count];
        for (int i = 0; i < count; i++) data[i] = (float)((order[i] - count / 2.0) * step);
        return new HostTensor<float>(data, shape);
    }
}
