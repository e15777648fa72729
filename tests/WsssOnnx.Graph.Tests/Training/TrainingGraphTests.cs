using WsssOnnx.Graph.Training;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using Xunit.Abstractions;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph.Tests.Training;

public sealed class TrainingGraphTests(ITestOutputHelper output)
{
    /// <summary>A two-layer regression model: loss = mean((W2 relu(W1 x + b1) - t)^2).</summary>
    private static (GraphBuilder Graph, TrainingGraphSpec Spec) Build(int seed)
    {
        var rng = new Random(seed);
        var g = new GraphBuilder("mlp");
        var x = g.Input("x", DataType.Float, [-1, 5]);
        var t = g.Input("t", DataType.Float, [-1, 2]);
        var w1 = g.Parameter("w1", GradientCheck.Random(rng, 5, 8));
        var b1 = g.Parameter("b1", GradientCheck.Random(rng, 8));
        var w2 = g.Parameter("w2", GradientCheck.Random(rng, 8, 2));
        var frozen = g.Parameter("frozen_scale", new HostTensor<float>([0.5f], 1), trainable: false);
        var y = g.MatMul(g.Relu(g.MatMul(x, w1) + b1), w2) * frozen;
        var d = y - t;
        var loss = g.ReduceMean(d * d, [0, 1], keepDims: false);
        return (g, TrainingGraph.Append(g, loss));
    }

    private static Dictionary<string, float[]> Run(ModelSession session, GraphBuilder g, HostTensor<float> x, HostTensor<float> t, Dictionary<string, HostTensor<float>> parameters)
    {
        var inputs = new List<SessionInput> { SessionInput.Create("x", x), SessionInput.Create("t", t) };
        inputs.AddRange(parameters.Select(p => SessionInput.Create(p.Key, p.Value)));
        try
        {
            using var r = session.Run(inputs);
            return r.Names.ToDictionary(n => n, n => r.Span<float>(n).ToArray());
        }
        finally
        {
            foreach (var i in inputs) i.Dispose();
        }
    }

    [Fact]
    public void Training_graph_takes_parameters_as_inputs_and_its_gradients_lower_the_loss()
    {
        const int seed = 77;
        output.WriteLine($"seed {seed}");
        var (g, spec) = Build(seed);
        Assert.Equal(["w1", "b1", "w2"], spec.Parameters);
        var model = g.ToModel(parametersAsInputs: true);
        Assert.DoesNotContain(model.Graph.Initializer, i => i.Name is "w1" or "b1" or "w2" or "frozen_scale");
        Assert.Contains(model.Graph.Input, i => i.Name == "frozen_scale");
        OnnxChecker.AssertValid(model);

        using var session = ModelSession.Load(g.ToBytes(parametersAsInputs: true), "mlp", new SessionConfig { WarmUp = false });
        var rng = new Random(seed + 1);
        var x = GradientCheck.Random(rng, 16, 5);
        var t = GradientCheck.Random(rng, 16, 2);
        var parameters = g.Parameters.ToDictionary(p => p.Name, p => g.ParameterValue(p.Name));

        var before = Run(session, g, x, t, parameters);
        // Finite differences on a few weights (float32, eps 1e-2: see GradientCheck's tolerance note).
        foreach (var (name, index) in new[] { ("w1", 7), ("b1", 3), ("w2", 11) })
        {
            float original = parameters[name].Data[index];
            parameters[name].Data[index] = original + 1e-2f;
            double plus = Run(session, g, x, t, parameters)[TrainingGraph.Loss][0];
            parameters[name].Data[index] = original - 1e-2f;
            double minus = Run(session, g, x, t, parameters)[TrainingGraph.Loss][0];
            parameters[name].Data[index] = original;
            double numeric = (plus - minus) / 2e-2, analytic = before[TrainingGraph.GradientOutput(name)][index];
            Assert.True(Math.Abs(numeric - analytic) <= 2e-3 + 2e-2 * Math.Abs(numeric), $"{name}[{index}]: {analytic} vs {numeric}");
        }

        // Ten plain gradient steps reduce the loss.
        for (int step = 0; step < 10; step++)
        {
            var r = Run(session, g, x, t, parameters);
            foreach (var name in spec.Parameters)
            {
                var grad = r[TrainingGraph.GradientOutput(name)];
                var p = parameters[name].Data;
                for (int i = 0; i < p.Length; i++) p[i] -= 0.1f * grad[i];
            }
        }
        float after = Run(session, g, x, t, parameters)[TrainingGraph.Loss][0];
        output.WriteLine($"loss {before[TrainingGraph.Loss][0]} -> {after}");
        Assert.True(after < 0.9f * before[TrainingGraph.Loss][0]);
    }

    [Fact]
    public void Exported_weights_round_trip_through_a_model_file()
    {
        var (g, _) = Build(5);
        var trained = GradientCheck.Random(new Random(6), 5, 8);
        g.SetParameters(new Dictionary<string, HostTensor<float>> { ["w1"] = trained });
        string path = Path.Combine(Path.GetTempPath(), $"wsss-{Guid.NewGuid():N}.onnx");
        try
        {
            ModelFile.Write(g.ToModel(), path);
            var weights = ModelFile.FloatInitializers(ModelFile.Read(path));
            Assert.Equal(trained.Data, weights["w1"].Data);
            Assert.Equal([5L, 8L], weights["w1"].Shape);
            Assert.Equal(g.ParameterValue("w2").Data, weights["w2"].Data);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Throws<ArgumentException>(() => g.SetParameter("w1", HostTensor<float>.Zeros(8, 5)));
    }
}
