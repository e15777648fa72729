using System.Diagnostics;
using WsssOnnx.Grpc;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Runtime;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Server.Handlers;

/// <summary>wsss.v1.ModelAdmin over the <see cref="ModelRegistry"/>; the registry's exceptions get their status where every call's do (ServiceErrors).</summary>
public sealed class ModelAdminHandler(ModelRegistry registry, AdmissionController admission)
{
    private static readonly Stopwatch Uptime = Stopwatch.StartNew();

    public Task<ListModelsResponse> ListModelsAsync(ListModelsRequest request, CancellationToken cancellation)
    {
        var reply = new ListModelsResponse();
        reply.Versions.AddRange(registry.List().Select(Describe));
        return Task.FromResult(reply);
    }

    public async Task<ModelVersion> LoadModelAsync(ModelVersionRequest request, CancellationToken cancellation)
    {
        var (name, version) = Check(request);
        await registry.LoadAsync(name, version, cancellation).ConfigureAwait(false);
        return Describe(registry.Status(name, version));
    }

    public async Task<ModelVersion> ActivateModelAsync(ModelVersionRequest request, CancellationToken cancellation)
    {
        var (name, version) = Check(request);
        await registry.ActivateAsync(name, version, cancellation).ConfigureAwait(false);
        return Describe(registry.Status(name, version));
    }

    public async Task<ModelVersion> UnloadModelAsync(ModelVersionRequest request, CancellationToken cancellation)
    {
        var (name, version) = Check(request);
        await registry.UnloadAsync(name, version, cancellation).ConfigureAwait(false);
        return Describe(registry.Status(name, version));
    }

    public Task<ServerStatus> GetStatusAsync(GetStatusRequest request, CancellationToken cancellation)
    {
        var reply = new ServerStatus
        {
            ServerVersion = typeof(ModelAdminHandler).Assembly.GetName().Version?.ToString() ?? "",
            UptimeS = Uptime.Elapsed.TotalSeconds,
            Running = admission.Running,
            ConcurrencyLimit = admission.ConcurrencyLimit,
            Queued = admission.Queued,
            QueueCapacity = admission.QueueCapacity,
            OnnxRuntimeVersion = OrtRuntime.Version,
        };
        reply.Active.AddRange(registry.ActiveModels.Select(m => Describe(registry.Status(m.Name, m.Version))));
        return Task.FromResult(reply);
    }

    private (string Name, string Version) Check(ModelVersionRequest request)
    {
        string name = string.IsNullOrEmpty(request.Name) ? registry.DefaultName : request.Name;
        if (string.IsNullOrEmpty(request.Version)) throw ServiceErrors.InvalidArgument("version is empty; name a version folder (see ListModels)");
        return (name, request.Version);
    }

    public static ModelVersion Describe(ModelVersionStatus status)
    {
        var reply = new ModelVersion
        {
            Name = status.Name,
            Version = status.Version,
            State = status.State switch
            {
                ModelVersionState.Available => ModelState.Available,
                ModelVersionState.Loading => ModelState.Loading,
                ModelVersionState.Loaded => ModelState.Loaded,
                ModelVersionState.Active => ModelState.Active,
                ModelVersionState.Draining => ModelState.Draining,
                ModelVersionState.Failed => ModelState.Failed,
                _ => ModelState.Unspecified,
            },
            Error = status.Error ?? "",
        };
        if (status.Model is { } model)
        {
            reply.Classes.AddRange(model.Classes.Skip(1));
            reply.Networks.AddRange(model.Package.Manifest.Files.Keys.Order(StringComparer.Ordinal));
            reply.ExecutionProvider = model.ExecutionProvider;
            reply.InFlight = model.InFlight;
            reply.Served = model.Served;
            reply.LoadedAtUnixMs = model.LoadedAt.ToUnixTimeMilliseconds();
            foreach (var (key, value) in model.Package.Manifest.Metrics) reply.Metrics[key] = value;
        }
        return reply;
    }
}
