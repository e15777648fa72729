using System.Globalization;

namespace WsssOnnx.Runtime;

/// <summary>How much ONNX Runtime rewrites a graph before running it (ORT's GraphOptimizationLevel).</summary>
public enum GraphOptimization
{
    None,
    Basic,
    Extended,
    All,
}

/// <summary>Which execution provider a session asks for.</summary>
public enum ProviderPreference
{
    /// <summary>CPU only.</summary>
    Cpu,

    /// <summary>CUDA if this build and host can load it, else CPU with the reason logged.</summary>
    Cuda,
}

/// <summary>
/// Options for one ONNX Runtime session. Defaults suit a CPU server: ORT chooses thread counts, full graph
/// optimisation, the CPU memory arena on, and a warm-up run at creation.
/// </summary>
public sealed record SessionConfig
{
    /// <summary>Threads used inside one operator; 0 lets ORT use one per physical core.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads used across independent operators (parallel execution only); 0 lets ORT choose.</summary>
    public int InterOpThreads { get; init; }

    public GraphOptimization Optimization { get; init; } = GraphOptimization.All;

    /// <summary>ORT's CPU arena allocator: faster repeated runs at the price of memory held between runs.</summary>
    public bool MemoryArena { get; init; } = true;

    public ProviderPreference Provider { get; init; } = ProviderPreference.Cpu;

    /// <summary>CUDA device ordinal when <see cref="Provider"/> is CUDA.</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>Run the model once on zeros when the session is created, so the first request pays no set-up cost.</summary>
    public bool WarmUp { get; init; } = true;

    public static SessionConfig Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and its allowed range.</summary>
    public SessionConfig Validate()
    {
        Require(IntraOpThreads is >= 0 and <= 1024, nameof(IntraOpThreads), "must be between 0 (ORT's choice) and 1024", IntraOpThreads);
        Require(InterOpThreads is >= 0 and <= 1024, nameof(InterOpThreads), "must be between 0 (ORT's choice) and 1024", InterOpThreads);
        Require(Enum.IsDefined(Optimization), nameof(Optimization), "must be None, Basic, Extended or All", Optimization);
        Require(Enum.IsDefined(Provider), nameof(Provider), "must be Cpu or Cuda", Provider);
        Require(CudaDeviceId is >= 0 and < 64, nameof(CudaDeviceId), "must be between 0 and 63", CudaDeviceId);
        return this;
    }

    /// <summary>
    /// Reads options from configuration keys (case-insensitive): intra_op_threads, inter_op_threads, optimization,
    /// memory_arena, provider, cuda_device_id, warm_up. Unknown keys and unparsable values are errors naming the key.
    /// </summary>
    public static SessionConfig FromSettings(IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var config = new SessionConfig();
        foreach (var (rawKey, rawValue) in settings)
        {
            string key = rawKey.Trim().Replace("-", "_", StringComparison.Ordinal).ToLowerInvariant();
            string value = (rawValue ?? string.Empty).Trim();
            config = key switch
            {
                "intra_op_threads" => config with { IntraOpThreads = ParseInt(rawKey, value) },
                "inter_op_threads" => config with { InterOpThreads = ParseInt(rawKey, value) },
                "optimization" => config with { Optimization = ParseEnum<GraphOptimization>(rawKey, value) },
                "memory_arena" => config with { MemoryArena = ParseBool(rawKey, value) },
                "provider" => config with { Provider = ParseEnum<ProviderPreference>(rawKey, value) },
                "cuda_device_id" => config with { CudaDeviceId = ParseInt(rawKey, value) },
                "warm_up" => config with { WarmUp = ParseBool(rawKey, value) },
                _ => throw new ArgumentException($"unknown session setting '{rawKey}' (known: intra_op_threads, inter_op_threads, optimization, memory_arena, provider, cuda_device_id, warm_up)"),
            };
        }
        return config.Validate();
    }

    private static void Require(bool ok, string field, string rule, object value)
    {
        if (!ok) throw new ArgumentException($"{field} {rule}; got {value}", field);
    }

    private static int ParseInt(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new ArgumentException($"session setting '{key}' must be an integer; got '{value}'");

    private static bool ParseBool(string key, string value) =>
        bool.TryParse(value, out bool v) ? v : throw new ArgumentException($"session setting '{key}' must be true or false; got '{value}'");

    private static T ParseEnum<T>(string key, string value) where T : struct, Enum =>
        Enum.TryParse(value, ignoreCase: true, out T v) && Enum.IsDefined(v)
            ? v
            : throw new ArgumentException($"session setting '{key}' must be one of {string.Join(", ", Enum.GetNames<T>())}; got '{value}'");
}
