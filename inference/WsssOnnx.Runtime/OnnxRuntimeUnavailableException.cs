namespace WsssOnnx.Runtime;

/// <summary>ONNX Runtime's native library could not be loaded: the set-up has not run, or a file is missing or broken.</summary>
public sealed class OnnxRuntimeUnavailableException : Exception
{
    public const string SetupCommand = "scripts/setup.sh";

    internal OnnxRuntimeUnavailableException(string detail, Exception inner)
        : base($"ONNX Runtime's native library (libonnxruntime.so) could not be loaded ({detail}); run {SetupCommand} from the repository root, then rebuild.", inner)
    {
    }
}
