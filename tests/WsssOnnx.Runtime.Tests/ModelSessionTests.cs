using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using WsssOnnx.Packages;
using Xunit.Abstractions;

namespace WsssOnnx.Runtime.Tests;

public sealed class ModelSessionTests(ITestOutputHelper output)
{
    private const int Size = 64;

    private static float[] RunOnce(ModelSession session, float[] x, int batch)
    {
        using var input = SessionInput.Create("x", x, [batch, Size]);
        using var result = session.Run([input]);
        return result.Span<float>("y").ToArray();
    }

    [Fact]
    public void Concurrent_runs_on_one_session_match_single_threaded_runs()
    {
        const int seed = 1234, threads = 8, runsPerThread = 20;
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        using var session = ModelSession.Load(TestModels.DenseStack(6, Size, seed), "dense_stack", new SessionConfig { IntraOpThreads = 1 });

        // Distinct inputs (and batch sizes) per run, with answers computed one at a time first.
        var inputs = Enumerable.Range(0, threads * runsPerThread)
            .Select(i => (Batch: 1 + i % 5, Data: TestModels.RandomFloats(rng, (1 + i % 5) * Size)))
            .ToArray();
        var expected = inputs.Select(c => RunOnce(session, c.Data, c.Batch)).ToArray();

        var actual = new float[inputs.Length][];
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int r = 0; r < runsPerThread; r++)
            {
                int i = r * threads + t;
                actual[i] = RunOnce(session, inputs[i].Data, inputs[i].Batch);
            }
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();

        for (int i = 0; i < inputs.Length; i++)
            Assert.Equal(expected[i], actual[i]); // same kernels, same order: bit-identical
    }

    [Fact]
    public void Cancellation_stops_a_long_run_between_operators()
    {
        using var session = ModelSession.Load(TestModels.DenseStack(120, 512, 7), "long_stack", new SessionConfig { IntraOpThreads = 1, WarmUp = false, Optimization = GraphOptimization.Basic });
        var x = TestModels.RandomFloats(new Random(7), 512 * 512);
        using var input = SessionInput.Create("x", x, [512, 512]);

        var full = Stopwatch.StartNew();
        using (session.Run([input])) { }
        full.Stop();

        // Cancel from a dedicated thread: a timer would wait for a thread-pool thread, which parallel tests may hold.
        using var cts = new CancellationTokenSource();
        var canceller = new Thread(() =>
        {
            Thread.Sleep(TimeSpan.FromMilliseconds(full.ElapsedMilliseconds / 10.0));
            cts.Cancel();
        });
        var cancelled = Stopwatch.StartNew();
        canceller.Start();
        var error = Assert.ThrowsAny<OperationCanceledException>(() => session.Run([input], cancellation: cts.Token));
        canceller.Join();
        cancelled.Stop();
        output.WriteLine($"full run {full.ElapsedMilliseconds} ms, cancelled run {cancelled.ElapsedMilliseconds} ms");
        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.True(cancelled.Elapsed < full.Elapsed * 0.6, $"cancelled run took {cancelled.ElapsedMilliseconds} ms of a {full.ElapsedMilliseconds} ms run");

        // The session keeps working after a cancelled run.
        using var again = session.Run([input]);
        Assert.Equal([512L, 512L], again.Shape("y"));
    }

    [Fact]
    public void Already_cancelled_token_runs_nothing()
    {
        using var session = ModelSession.Load(TestModels.DenseStack(1, Size, 3), "one_layer");
        using var input = SessionInput.Create("x", new float[Size], [1, Size]);
        Assert.ThrowsAny<OperationCanceledException>(() => session.Run([input], cancellation: new CancellationToken(true)));
    }

    [Fact]
    public void Inputs_are_read_from_the_callers_buffer_without_a_copy()
    {
        using var session = ModelSession.Load(TestModels.DenseStack(1, Size, 5), "one_layer");
        var x = new float[Size];
        using var input = SessionInput.Create("x", x, [1, Size]);
        using (var zeros = session.Run([input]))
            Assert.All(zeros.Span<float>("y").ToArray(), v => Assert.Equal(0f, v));

        // Writing the managed array after the value was created changes what the model sees.
        Array.Fill(x, 1f);
        using var ones = session.Run([input]);
        Assert.Contains(ones.Span<float>("y").ToArray(), v => v != 0f);
    }

    [Fact]
    public void RunInto_writes_the_callers_output_buffer()
    {
        using var session = ModelSession.Load(TestModels.DenseStack(2, Size, 9), "two_layers");
        var x = TestModels.RandomFloats(new Random(9), 3 * Size);
        var expected = RunOnce(session, x, 3);
        var y = HostTensor<float>.Zeros(3, Size);
        using var input = SessionInput.Create("x", x, [3, Size]);
        using var target = SessionInput.Create("y", y);
        session.RunInto([input], [target]);
        Assert.Equal(expected, y.Data);
    }

    [Fact]
    public void Io_binding_reuses_bound_buffers_across_runs()
    {
        using var session = ModelSession.Load(TestModels.DenseStack(2, Size, 11), "two_layers");
        var rng = new Random(11);
        var x = HostTensor<float>.Zeros(2, Size);
        var y = HostTensor<float>.Zeros(2, Size);
        using var binding = session.CreateBinding();
        binding.BindInput("x", x);
        binding.BindOutput("y", y);
        for (int run = 0; run < 3; run++)
        {
            TestModels.RandomFloats(rng, x.Data.Length).CopyTo(x.Data, 0);
            binding.RunInto();
            Assert.Equal(RunOnce(session, x.Data, 2), y.Data);
        }

        // An output left to the provider comes back as an ORT value.
        using var providerBinding = session.CreateBinding();
        providerBinding.BindInput("x", x);
        providerBinding.BindOutputToProvider("y");
        using var outputs = providerBinding.Run();
        Assert.Equal(RunOnce(session, x.Data, 2), outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [Fact]
    public void Session_reports_its_signature_and_provider()
    {
        using var session = ModelSession.Load(TestModels.DenseStack(1, Size, 1), "one_layer");
        var input = Assert.Single(session.Inputs);
        Assert.Equal("x", input.Name);
        Assert.Equal([-1L, Size], input.Shape);
        Assert.False(input.IsStatic);
        Assert.Equal(OrtRuntime.CpuProvider, session.Provider.Name);
        Assert.Null(session.Provider.FallbackReason);
    }

    [Fact]
    public void Cuda_request_without_cuda_falls_back_to_cpu_with_a_reason()
    {
        if (OrtRuntime.MissingCudaProviderLibrary() is null)
        {
            output.WriteLine("CUDA provider libraries are installed here; checking that the request is honoured or explained");
        }
        using var session = ModelSession.Load(TestModels.DenseStack(1, Size, 2), "one_layer", new SessionConfig { Provider = ProviderPreference.Cuda });
        output.WriteLine(session.Provider.ToString());
        Assert.Equal(ProviderPreference.Cuda, session.Provider.Requested);
        if (!session.Provider.IsCuda)
        {
            Assert.Equal(OrtRuntime.CpuProvider, session.Provider.Name);
            Assert.False(string.IsNullOrWhiteSpace(session.Provider.FallbackReason));
        }
        Assert.Equal(Size, RunOnce(session, new float[Size], 1).Length);
    }

    [Fact]
    public void Corrupt_or_missing_models_give_a_load_error_with_ort_s_reason()
    {
        var garbage = Assert.Throws<ModelLoadException>(() => ModelSession.Load("not a model"u8.ToArray(), "garbage"));
        Assert.Contains("garbage", garbage.Message);
        Assert.Contains("InvalidProtobuf", garbage.Message);

        var empty = Assert.Throws<ModelLoadException>(() => ModelSession.Load([], "empty"));
        Assert.Contains("empty", empty.Message);

        var missing = Assert.Throws<ModelLoadException>(() => ModelSession.Load("/nonexistent/model.onnx"));
        Assert.Contains("does not exist", missing.Message);
    }

    [Fact]
    public void A_model_whose_warm_up_fails_is_rejected_at_load()
    {
        var error = Assert.Throws<ModelLoadException>(() => ModelSession.Load(TestModels.AlwaysFailingReshape(), "bad_reshape"));
        Assert.Contains("warm-up", error.Message);
        Assert.IsType<OnnxRuntimeException>(error.InnerException);
    }

    [Fact]
    public void Wrong_input_shape_is_an_ort_error_and_the_session_survives()
    {
        using var session = ModelSession.Load(TestModels.DenseStack(1, Size, 4), "one_layer");
        using var wrong = SessionInput.Create("x", new float[Size + 1], [1, Size + 1]);
        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run([wrong]));
        Assert.Contains("x", error.Message);
        Assert.Equal(Size, RunOnce(session, new float[Size], 1).Length);
    }

    [Fact]
    public void Input_buffer_and_shape_must_agree()
    {
        var error = Assert.Throws<ArgumentException>(() => SessionInput.Create("x", new float[5], [2, 3]));
        Assert.Contains("needs 6 elements", error.Message);
    }
}
