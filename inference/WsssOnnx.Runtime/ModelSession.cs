using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using WsssOnnx.Packages;

namespace WsssOnnx.Runtime;

/// <summary>
/// One loaded model: an ORT session configured from a <see cref="SessionConfig"/>, warmed up, and safe to share
/// between threads (ORT's Run is thread-safe; every call here has its own run options and values).
/// </summary>
public sealed class ModelSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly ILogger _logger;

    private ModelSession(InferenceSession session, string source, SessionConfig config, ExecutionProviderChoice provider, ILogger logger)
    {
        _session = session;
        _logger = logger;
        Source = source;
        Config = config;
        Provider = provider;
        Inputs = session.InputNames.Select(n => Signature(n, session.InputMetadata[n])).ToArray();
        Outputs = session.OutputNames.Select(n => Signature(n, session.OutputMetadata[n])).ToArray();
    }

    /// <summary>Where the model came from (a path, or a caller-given name for bytes).</summary>
    public string Source { get; }

    public SessionConfig Config { get; }

    /// <summary>The execution provider this session runs on.</summary>
    public ExecutionProviderChoice Provider { get; }

    public IReadOnlyList<TensorSignature> Inputs { get; }

    public IReadOnlyList<TensorSignature> Outputs { get; }

    /// <summary>The underlying ORT session, for APIs this layer does not wrap.</summary>
    public InferenceSession Session => _session;

    public static ModelSession Load(string path, SessionConfig? config = null, ILogger? logger = null, IReadOnlyDictionary<string, long[]>? warmUpShapes = null)
    {
        if (!File.Exists(path)) throw new ModelLoadException(path, "the file does not exist");
        return Create(path, options => new InferenceSession(path, options), config, logger, warmUpShapes);
    }

    public static ModelSession Load(byte[] model, string name, SessionConfig? config = null, ILogger? logger = null, IReadOnlyDictionary<string, long[]>? warmUpShapes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Length == 0) throw new ModelLoadException(name, "the model is empty (0 bytes)");
        return Create(name, options => new InferenceSession(model, options), config, logger, warmUpShapes);
    }

    private static ModelSession Create(string source, Func<SessionOptions, InferenceSession> open, SessionConfig? config, ILogger? logger, IReadOnlyDictionary<string, long[]>? warmUpShapes)
    {
        config ??= SessionConfig.Default;
        logger ??= NullLogger.Instance;
        var (options, provider) = SessionOptionsFactory.Create(config, logger);
        InferenceSession session;
        try
        {
            try
            {
                session = open(options);
            }
            catch (OnnxRuntimeException e) when (provider.IsCuda)
            {
                // The CUDA provider was appended but could not initialise (driver, device, libraries): serve on CPU.
                options.Dispose();
                options = SessionOptionsFactory.CreateCpu(config);
                provider = provider with { Name = OrtRuntime.CpuProvider, FallbackReason = e.Message };
                logger.LogWarning("CUDA session for {Source} failed, running on CPU: {Reason}", source, e.Message);
                session = open(options);
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException(source, e.Message, e);
        }
        finally
        {
            options.Dispose();
        }

        var model = new ModelSession(session, source, config, provider, logger);
        try
        {
            if (config.WarmUp) model.WarmUp(warmUpShapes);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        logger.LogInformation("Loaded {Source} on {Provider}", source, provider);
        return model;
    }

    /// <summary>Runs the model on the given inputs and returns all outputs (or those named).</summary>
    public SessionOutputs Run(IReadOnlyList<SessionInput> inputs, IReadOnlyList<string>? outputNames = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var names = outputNames ?? _session.OutputNames;
        using var runOptions = new RunOptions();
        var results = Execute(runOptions, cancellation, () =>
            _session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), inputs.Select(i => i.Value).ToArray(), names));
        return new SessionOutputs(names, results, results);
    }

    /// <summary>Runs the model writing into caller-owned output tensors (pinned, no copy out).</summary>
    public void RunInto(IReadOnlyList<SessionInput> inputs, IReadOnlyList<SessionInput> outputs, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        using var runOptions = new RunOptions();
        Execute<object?>(runOptions, cancellation, () =>
        {
            _session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), inputs.Select(i => i.Value).ToArray(),
                outputs.Select(o => o.Name).ToArray(), outputs.Select(o => o.Value).ToArray());
            return null;
        });
    }

    /// <summary>An IOBinding for this session: inputs and outputs bound once, outputs optionally left on the device.</summary>
    public SessionBinding CreateBinding() => new(this, _session.CreateIoBinding());

    internal void RunWithBinding(OrtIoBinding binding, CancellationToken cancellation)
    {
        using var runOptions = new RunOptions();
        Execute<object?>(runOptions, cancellation, () =>
        {
            _session.RunWithBinding(runOptions, binding);
            return null;
        });
    }

    /// <summary>
    /// Runs <paramref name="run"/> with cancellation mapped onto ORT's terminate flag: ORT checks it between
    /// operators and fails the run, which we report as <see cref="OperationCanceledException"/>.
    /// </summary>
    private static T Execute<T>(RunOptions runOptions, CancellationToken cancellation, Func<T> run)
    {
        cancellation.ThrowIfCancellationRequested();
        using var registration = cancellation.Register(static o => ((RunOptions)o!).Terminate = true, runOptions);
        try
        {
            return run();
        }
        catch (OnnxRuntimeException) when (cancellation.IsCancellationRequested)
        {
            throw new OperationCanceledException("the model run was cancelled", cancellation);
        }
    }

    /// <summary>One run on zeros so that ORT allocates and plans before the first real request.</summary>
    private void WarmUp(IReadOnlyDictionary<string, long[]>? shapes)
    {
        var inputs = new List<SessionInput>();
        bool guessed = false;
        try
        {
            foreach (var input in Inputs)
            {
                if (!input.IsTensor)
                {
                    _logger.LogDebug("Skipping warm-up of {Source}: input {Input} is not a tensor", Source, input.Name);
                    return;
                }
                long[] shape;
                if (shapes is not null && shapes.TryGetValue(input.Name, out var given))
                {
                    shape = given;
                }
                else
                {
                    guessed |= !input.IsStatic;
                    shape = input.Shape.Select(d => d < 0 ? 1L : d).ToArray();
                }
                var data = Array.CreateInstance(TensorElementTypes.ManagedType(input.ElementType), HostTensor<byte>.ElementCount(shape));
                inputs.Add(SessionInput.CreateUntyped(input.Name, data, shape));
            }
            using var _ = Run(inputs);
        }
        catch (OnnxRuntimeException e) when (guessed)
        {
            // Free dimensions were set to 1, which some graphs reject (e.g. a kernel larger than the image).
            _logger.LogWarning("Warm-up of {Source} skipped: free dimensions set to 1 were rejected ({Reason}); pass warm-up shapes", Source, e.Message);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException(Source, $"the warm-up run failed: {e.Message}", e);
        }
        finally
        {
            foreach (var input in inputs) input.Dispose();
        }
    }

    private static TensorSignature Signature(string name, NodeMetadata metadata) =>
        metadata.IsTensor
            ? new TensorSignature(name, metadata.ElementDataType, metadata.Dimensions.Select(d => (long)d).ToArray(), true)
            : new TensorSignature(name, default, [], false);

    public void Dispose() => _session.Dispose();
}
