namespace WsssOnnx.Runtime.Tests;

public sealed class SessionConfigTests
{
    [Fact]
    public void Settings_are_parsed_case_insensitively()
    {
        var config = SessionConfig.FromSettings(new Dictionary<string, string?>
        {
            ["Intra_Op_Threads"] = "2",
            ["inter-op-threads"] = "1",
            ["optimization"] = "basic",
            ["memory_arena"] = "false",
            ["provider"] = "CUDA",
            ["cuda_device_id"] = "1",
            ["warm_up"] = "False",
        });
        Assert.Equal(new SessionConfig
        {
            IntraOpThreads = 2,
            InterOpThreads = 1,
            Optimization = GraphOptimization.Basic,
            MemoryArena = false,
            Provider = ProviderPreference.Cuda,
            CudaDeviceId = 1,
            WarmUp = false,
        }, config);
    }

    [Fact]
    public void Defaults_are_cpu_full_optimisation_arena_and_warm_up()
    {
        var config = SessionConfig.FromSettings([]);
        Assert.Equal(SessionConfig.Default, config);
        Assert.Equal(ProviderPreference.Cpu, config.Provider);
        Assert.Equal(GraphOptimization.All, config.Optimization);
        Assert.True(config.MemoryArena);
        Assert.True(config.WarmUp);
    }

    [Theory]
    [InlineData("threads", "4", "unknown session setting 'threads'")]
    [InlineData("intra_op_threads", "many", "must be an integer")]
    [InlineData("intra_op_threads", "-1", "IntraOpThreads must be between 0")]
    [InlineData("optimization", "max", "must be one of None, Basic, Extended, All")]
    [InlineData("provider", "tpu", "must be one of Cpu, Cuda")]
    [InlineData("memory_arena", "yes", "must be true or false")]
    [InlineData("cuda_device_id", "99", "CudaDeviceId must be between 0 and 63")]
    public void Bad_settings_name_the_field_and_the_rule(string key, string value, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => SessionConfig.FromSettings(new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Native_load_failures_are_recognised_through_wrappers()
    {
        var wrapped = new TypeInitializationException("NativeMethods", new DllNotFoundException("libonnxruntime.so"));
        Assert.Contains("not found", OrtRuntime.DescribeLoadFailure(wrapped));
        Assert.Null(OrtRuntime.DescribeLoadFailure(new InvalidOperationException("something else")));
    }
}
