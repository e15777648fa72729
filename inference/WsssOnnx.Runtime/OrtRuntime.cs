using Microsoft.ML.OnnxRuntime;

namespace WsssOnnx.Runtime;

/// <summary>
/// The process-wide ONNX Runtime environment (ORT allows one per process). The first use loads the native
/// library; a missing or broken library becomes one <see cref="OnnxRuntimeUnavailableException"/>.
/// </summary>
public static class OrtRuntime
{
    public const string CpuProvider = "CPUExecutionProvider";
    public const string CudaProvider = "CUDAExecutionProvider";

    private static readonly Lazy<OrtEnv> Env = new(CreateEnvironment, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The shared environment; throws <see cref="OnnxRuntimeUnavailableException"/> if the native library is absent.</summary>
    public static OrtEnv Environment
    {
        get
        {
            try
            {
                return Env.Value;
            }
            catch (Exception e) when (DescribeLoadFailure(e) is { } detail)
            {
                throw new OnnxRuntimeUnavailableException(detail, e);
            }
        }
    }

    /// <summary>ORT's version string, e.g. "1.29.0".</summary>
    public static string Version => Environment.GetVersionString();

    /// <summary>Execution providers compiled into the loaded native library (not all need be usable on this host).</summary>
    public static IReadOnlyList<string> AvailableProviders => Environment.GetAvailableProviders();

    /// <summary>
    /// The first CUDA provider library missing beside libonnxruntime.so, or null when both are there. ORT loads them
    /// from its own directory; checking first spares a native error log for the common CPU-host case.
    /// </summary>
    public static string? MissingCudaProviderLibrary()
    {
        string[] libraries = ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"];
        return libraries.FirstOrDefault(name => !File.Exists(Path.Combine(AppContext.BaseDirectory, name)));
    }

    private static OrtEnv CreateEnvironment()
    {
        var options = new EnvironmentCreationOptions
        {
            logId = "wsss",
            logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        return OrtEnv.CreateInstanceWithOptions(ref options);
    }

    /// <summary>A sentence for exceptions that mean "the native library is not usable", or null for any other error.</summary>
    internal static string? DescribeLoadFailure(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case DllNotFoundException:
                    return "not found next to the application or on the library path";
                case EntryPointNotFoundException:
                    return "it lacks an expected entry point, so it is not ONNX Runtime 1.29";
                case BadImageFormatException:
                    return "the file is not a loadable library for this platform";
            }
        }
        return null;
    }
}
