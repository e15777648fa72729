namespace WsssOnnx.Runtime;

/// <summary>The execution provider a session actually runs on, and why it is not the one asked for, if it is not.</summary>
/// <param name="Name">ORT's provider name, e.g. CPUExecutionProvider or CUDAExecutionProvider.</param>
/// <param name="Requested">The preference in the session's configuration.</param>
/// <param name="FallbackReason">Null when the requested provider is in use; otherwise ORT's or our reason for falling back to CPU.</param>
public sealed record ExecutionProviderChoice(string Name, ProviderPreference Requested, string? FallbackReason)
{
    public bool IsCuda => Name == OrtRuntime.CudaProvider;

    public override string ToString() =>
        FallbackReason is null ? Name : $"{Name} ({Requested} was requested: {FallbackReason})";
}
