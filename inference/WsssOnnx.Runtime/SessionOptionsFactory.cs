using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace WsssOnnx.Runtime;

/// <summary>Turns a <see cref="SessionConfig"/> into ORT <see cref="SessionOptions"/>, choosing the provider.</summary>
internal static class SessionOptionsFactory
{
    /// <summary>Options for the requested provider; CUDA falls back to CPU (with the reason) when it cannot be appended.</summary>
    public static (SessionOptions Options, ExecutionProviderChoice Provider) Create(SessionConfig config, ILogger logger)
    {
        config.Validate();
        if (config.Provider == ProviderPreference.Cuda)
        {
            string reason;
            if (!OrtRuntime.AvailableProviders.Contains(OrtRuntime.CudaProvider))
            {
                reason = "this ONNX Runtime build has no CUDA provider";
            }
            else if (OrtRuntime.MissingCudaProviderLibrary() is { } missing)
            {
                reason = $"{missing} is not installed (run scripts/setup.sh --gpu)";
            }
            else
            {
                var options = CreateCpu(config);
                try
                {
                    // Fails when libonnxruntime_providers_cuda.so (scripts/setup.sh --gpu) or the CUDA libraries are missing.
                    options.AppendExecutionProvider_CUDA(config.CudaDeviceId);
                    return (options, new ExecutionProviderChoice(OrtRuntime.CudaProvider, config.Provider, null));
                }
                catch (OnnxRuntimeException e)
                {
                    options.Dispose();
                    reason = e.Message;
                }
            }
            logger.LogWarning("CUDA execution provider unavailable, running on CPU: {Reason}", reason);
            return (CreateCpu(config), new ExecutionProviderChoice(OrtRuntime.CpuProvider, config.Provider, reason));
        }
        return (CreateCpu(config), new ExecutionProviderChoice(OrtRuntime.CpuProvider, config.Provider, null));
    }

    public static SessionOptions CreateCpu(SessionConfig config)
    {
        _ = OrtRuntime.Environment; // loads the native library, or explains why it cannot
        var options = new SessionOptions
        {
            IntraOpNumThreads = config.IntraOpThreads,
            InterOpNumThreads = config.InterOpThreads,
            EnableCpuMemArena = config.MemoryArena,
            GraphOptimizationLevel = config.Optimization switch
            {
                GraphOptimization.None => GraphOptimizationLevel.ORT_DISABLE_ALL,
                GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
            ExecutionMode = config.InterOpThreads > 1 ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL,
        };
        return options;
    }
}
