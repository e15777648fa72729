using Microsoft.ML.OnnxRuntime;
using WsssOnnx.Packages;

namespace WsssOnnx.Runtime;

/// <summary>
/// An ORT IOBinding over a <see cref="ModelSession"/>: inputs and outputs are bound once and reused across runs,
/// and outputs can stay where the provider produced them (device memory under CUDA) for the next run to read.
/// Not thread-safe: one binding per concurrent caller.
/// </summary>
public sealed class SessionBinding : IDisposable
{
    private readonly ModelSession _owner;
    private readonly OrtIoBinding _binding;
    private readonly List<SessionInput> _held = [];

    internal SessionBinding(ModelSession owner, OrtIoBinding binding)
    {
        _owner = owner;
        _binding = binding;
    }

    /// <summary>Binds a pinned host tensor as an input; it must stay unchanged in size until this binding is disposed.</summary>
    public void BindInput<T>(string name, HostTensor<T> tensor) where T : unmanaged
    {
        var input = SessionInput.Create(name, tensor);
        _held.Add(input);
        _binding.BindInput(name, input.Value);
    }

    /// <summary>Binds an existing ORT value (for example an output of an earlier run left on the device).</summary>
    public void BindInput(string name, OrtValue value) => _binding.BindInput(name, value);

    /// <summary>Binds a caller-owned host tensor as an output: runs write into it directly.</summary>
    public void BindOutput<T>(string name, HostTensor<T> tensor) where T : unmanaged
    {
        var output = SessionInput.Create(name, tensor);
        _held.Add(output);
        _binding.BindOutput(name, output.Value);
    }

    /// <summary>Lets ORT allocate the output on the session's provider (the GPU under CUDA); read it with <see cref="Run"/>'s result.</summary>
    public void BindOutputToProvider(string name)
    {
        var memory = _owner.Provider.IsCuda
            ? new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, _owner.Config.CudaDeviceId, OrtMemType.Default)
            : OrtMemoryInfo.DefaultInstance;
        try
        {
            _binding.BindOutputToDevice(name, memory);
        }
        finally
        {
            if (!ReferenceEquals(memory, OrtMemoryInfo.DefaultInstance)) memory.Dispose();
        }
    }

    /// <summary>Runs with the bound values; outputs bound to the provider are returned (owned by the caller).</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(CancellationToken cancellation = default)
    {
        _owner.RunWithBinding(_binding, cancellation);
        return _binding.GetOutputValues();
    }

    /// <summary>Runs with the bound values when all outputs are caller-owned tensors.</summary>
    public void RunInto(CancellationToken cancellation = default) => _owner.RunWithBinding(_binding, cancellation);

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var held in _held) held.Dispose();
    }
}
