using System.Globalization;
using Microsoft.Extensions.Logging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Server.Models;

/// <summary>The life-cycle state of one package version.</summary>
public enum ModelVersionState
{
    Available,
    Loading,
    Loaded,
    Active,
    Draining,
    Failed,
}

/// <summary>A package version as <see cref="ModelRegistry.List"/> reports it.</summary>
public sealed record ModelVersionStatus(string Name, string Version, ModelVersionState State, LoadedModel? Model, string? Error);

/// <summary>
/// The model packages under a models/ folder (models/&lt;name&gt;/&lt;version&gt;/manifest.json) and, per package name,
/// the version that serves it. Hot-swap (ARCHITECTURE.md "Service"): the new version is loaded and warmed completely
/// off the request path, the active reference is switched atomically, requests already holding the old version finish
/// on it, and it is disposed once drained. A failed load leaves the active version serving. Admin operations on one
/// package are serialised; requests never wait for them.
/// </summary>
public sealed class ModelRegistry : IAsyncDisposable
{
    private readonly SessionConfig _sessionConfig;
    private readonly ILogger _logger;
    private readonly Dictionary<string, PackageSlot> _packages = new(StringComparer.Ordinal);
    private readonly List<Task> _draining = [];
    private readonly Lock _lock = new();
    private bool _disposed;

    public ModelRegistry(string root, SessionConfig sessionConfig, ILogger logger, string defaultName = "default")
    {
        Root = Path.GetFullPath(root);
        _sessionConfig = sessionConfig;
        _logger = logger;
        DefaultName = defaultName;
    }

    /// <summary>The models/ folder.</summary>
    public string Root { get; }

    /// <summary>The package name requests get when they name none.</summary>
    public string DefaultName { get; }

    /// <summary>Raised after a swap: the new active model and the one it replaced (null if none).</summary>
    public event Action<LoadedModel, LoadedModel?>? Activated;

    /// <summary>Every package's active model.</summary>
    public IReadOnlyList<LoadedModel> ActiveModels
    {
        get
        {
            lock (_lock) return [.. _packages.Values.Select(p => p.Active).OfType<LoadedModel>()];
        }
    }

    /// <summary>Package names with at least one version on disk, sorted.</summary>
    public IReadOnlyList<string> PackagesOnDisk() =>
        Directory.Exists(Root)
            ? [.. Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>().Where(n => VersionsOnDisk(n).Count > 0).Order(StringComparer.Ordinal)]
            : [];

    /// <summary>Version folders of <paramref name="name"/> that hold a manifest, oldest first (<see cref="CompareVersions"/>).</summary>
    public IReadOnlyList<string> VersionsOnDisk(string name)
    {
        string folder = Path.Combine(Root, name);
        if (!IsPlainName(name) || !Directory.Exists(folder)) return [];
        var versions = Directory.EnumerateDirectories(folder)
            .Where(d => File.Exists(Path.Combine(d, ModelManifest.FileName)))
            .Select(Path.GetFileName).OfType<string>().ToList();
        versions.Sort(CompareVersions);
        return versions;
    }

    /// <summary>The newest version on disk, or null.</summary>
    public string? NewestVersion(string name) => VersionsOnDisk(name) is { Count: > 0 } v ? v[^1] : null;

    /// <summary>Version order: numeric versions by value and after non-numeric ones, which compare ordinally.</summary>
    public static int CompareVersions(string? a, string? b)
    {
        bool an = long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out long av);
        bool bn = long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out long bv);
        if (an && bn) return av.CompareTo(bv);
        if (an != bn) return an ? 1 : -1;
        return string.CompareOrdinal(a, b);
    }

    /// <summary>Every version on disk and every loaded one, with its state.</summary>
    public IReadOnlyList<ModelVersionStatus> List()
    {
        var names = PackagesOnDisk().ToHashSet(StringComparer.Ordinal);
        lock (_lock) names.UnionWith(_packages.Keys);
        var list = new List<ModelVersionStatus>();
        foreach (string name in names.Order(StringComparer.Ordinal))
        {
            var versions = VersionsOnDisk(name).ToList();
            PackageSlot? slot;
            lock (_lock) _packages.TryGetValue(name, out slot);
            if (slot is not null)
            {
                lock (_lock)
                {
                    // The active version too: it keeps serving (and stays listed) when its folder is deleted.
                    var held = slot.Loaded.Keys.Concat(slot.Draining.Select(m => m.Version)).Concat(slot.Failures.Keys).Concat(slot.Loading);
                    if (slot.Active is { } active) held = held.Append(active.Version);
                    foreach (string v in held)
                        if (!versions.Contains(v)) versions.Add(v);
                }
            }
            versions.Sort(CompareVersions);
            foreach (string version in versions) list.Add(StatusOf(name, version, slot));
        }
        return list;
    }

    private ModelVersionStatus StatusOf(string name, string version, PackageSlot? slot)
    {
        if (slot is null) return new(name, version, ModelVersionState.Available, null, null);
        lock (_lock)
        {
            if (slot.Active?.Version == version) return new(name, version, ModelVersionState.Active, slot.Active, null);
            if (slot.Loading.Contains(version)) return new(name, version, ModelVersionState.Loading, null, null);
            if (slot.Loaded.TryGetValue(version, out var loaded)) return new(name, version, ModelVersionState.Loaded, loaded, null);
            var draining = slot.Draining.FirstOrDefault(m => m.Version == version);
            if (draining is not null) return new(name, version, ModelVersionState.Draining, draining, null);
            if (slot.Failures.TryGetValue(version, out string? error)) return new(name, version, ModelVersionState.Failed, null, error);
        }
        return new(name, version, ModelVersionState.Available, null, null);
    }

    /// <summary>
    /// A lease on the model a request asks for: the active version of <paramref name="name"/> (the default package when
    /// empty), or a specific loaded <paramref name="version"/>. Never waits for admin operations.
    /// </summary>
    /// <exception cref="ModelNotFoundException">No such package, no active version, or the version is not loaded.</exception>
    public ModelLease Acquire(string? name, string? version)
    {
        name = string.IsNullOrEmpty(name) ? DefaultName : name;
        while (true)
        {
            LoadedModel? model;
            lock (_lock)
            {
                if (!_packages.TryGetValue(name, out var slot))
                    throw new ModelNotFoundException($"no model package \"{ClientText.Truncate(name)}\" is loaded (see ModelAdmin.ListModels)");
                if (string.IsNullOrEmpty(version))
                {
                    model = slot.Active ?? throw new ModelNotFoundException($"model package \"{ClientText.Truncate(name)}\" has no active version");
                }
                else if (slot.Active?.Version == version) model = slot.Active;
                else if (!slot.Loaded.TryGetValue(version, out model))
                {
                    throw new ModelNotFoundException($"version \"{ClientText.Truncate(version)}\" of model package \"{ClientText.Truncate(name)}\" is not loaded; load it with ModelAdmin.LoadModel");
                }
            }
            // A model retired between the read and the lease is skipped; the loop reads the new active version.
            var lease = model.TryAcquire();
            if (lease is not null) return lease;
        }
    }

    /// <summary>Loads and warms a version without serving it; a loaded or active version is returned as it is.</summary>
    /// <exception cref="ModelNotFoundException">The version folder has no manifest.</exception>
    /// <exception cref="ModelLoadFailedException">The package is damaged or its networks do not load.</exception>
    public async Task<LoadedModel> LoadAsync(string name, string version, CancellationToken cancellation = default)
    {
        var slot = SlotFor(name);
        await slot.Gate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            return await LoadLockedAsync(slot, version, cancellation).ConfigureAwait(false);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <summary>Makes <paramref name="version"/> (null: the newest on disk) the active version of <paramref name="name"/>.</summary>
    public async Task<LoadedModel> ActivateAsync(string name, string? version = null, CancellationToken cancellation = default)
    {
        version ??= NewestVersion(name) ?? throw new ModelNotFoundException($"model package \"{ClientText.Truncate(name)}\" has no version in the models folder");
        var slot = SlotFor(name);
        await slot.Gate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var model = await LoadLockedAsync(slot, version, cancellation).ConfigureAwait(false);
            LoadedModel? previous;
            lock (_lock)
            {
                previous = slot.Active;
                if (ReferenceEquals(previous, model)) return model;
                slot.Loaded.Remove(version);
                slot.Active = model;
            }
            _logger.LogInformation("Activated {Name}/{Version} (previous {Previous})", name, version, previous?.Version ?? "none");
            Activated?.Invoke(model, previous);
            if (previous is not null) Retire(slot, previous);
            return model;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <summary>
    /// Activates the newest version of <paramref name="name"/> that loads, trying older ones in turn: a damaged newer
    /// version is reported (a log line, state FAILED in <see cref="List"/>) and does not stop the package from serving.
    /// </summary>
    /// <exception cref="ModelNotFoundException">The package has no version.</exception>
    /// <exception cref="ModelLoadFailedException">No version loads; the message gives each one's reason.</exception>
    public async Task<LoadedModel> ActivateNewestLoadableAsync(string name, CancellationToken cancellation = default)
    {
        var versions = VersionsOnDisk(name);
        if (versions.Count == 0) throw new ModelNotFoundException($"model package \"{ClientText.Truncate(name)}\" has no version in the models folder");
        var failures = new List<string>();
        for (int i = versions.Count - 1; i >= 0; i--)
        {
            try
            {
                var model = await ActivateAsync(name, versions[i], cancellation).ConfigureAwait(false);
                foreach (string failure in failures) _logger.LogError("Serving {Name}/{Version}: newer {Failure}", name, versions[i], failure);
                return model;
            }
            catch (Exception e) when (e is ModelLoadFailedException or ModelNotFoundException)
            {
                failures.Add(e.Message);
            }
        }
        throw new ModelLoadFailedException($"no version of {name} loads: {string.Join("; ", failures)}");
    }

    /// <summary>Unloads a loaded version that is not active; its requests finish first.</summary>
    /// <exception cref="ModelStateException">It is the active version.</exception>
    /// <exception cref="ModelNotFoundException">It is not loaded.</exception>
    public async Task UnloadAsync(string name, string version, CancellationToken cancellation = default)
    {
        var slot = SlotFor(name);
        await slot.Gate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            LoadedModel? model;
            lock (_lock)
            {
                if (slot.Active?.Version == version)
                    throw new ModelStateException($"{ClientText.Truncate(name)}/{ClientText.Truncate(version)} is the active version; activate another version first");
                if (!slot.Loaded.Remove(version, out model))
                    throw new ModelNotFoundException($"version \"{ClientText.Truncate(version)}\" of model package \"{ClientText.Truncate(name)}\" is not loaded");
            }
            Retire(slot, model);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <summary>The status of one version.</summary>
    public ModelVersionStatus Status(string name, string version)
    {
        PackageSlot? slot;
        lock (_lock) _packages.TryGetValue(name, out slot);
        return StatusOf(name, version, slot);
    }

    private async Task<LoadedModel> LoadLockedAsync(PackageSlot slot, string version, CancellationToken cancellation)
    {
        lock (_lock)
        {
            if (slot.Active?.Version == version) return slot.Active;
            if (slot.Loaded.TryGetValue(version, out var loaded)) return loaded;
        }
        if (!IsPlainName(version)) throw new InvalidModelNameException($"\"{ClientText.Truncate(version)}\" is not a version folder name");
        string directory = Path.Combine(Root, slot.Name, version);
        if (!File.Exists(Path.Combine(directory, ModelManifest.FileName)))
            throw new ModelNotFoundException($"model package {slot.Name}/{version} does not exist in the models folder");

        lock (_lock) slot.Loading.Add(version);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var model = await Task.Run(() => LoadedModel.Load(directory, _sessionConfig, cancellation), cancellation).ConfigureAwait(false);
            if (model.Name != slot.Name || model.Version != version)
            {
                model.Dispose();
                throw new ModelLoadFailedException($"{slot.Name}/{version}: its manifest says {ClientText.Truncate(model.Name)}/{ClientText.Truncate(model.Version)}, not {slot.Name}/{version}");
            }
            lock (_lock)
            {
                slot.Loaded[version] = model;
                slot.Failures.Remove(version);
            }
            _logger.LogInformation("Loaded {Name}/{Version} on {Provider} in {Ms:F0} ms (warm-up {WarmUpMs:F0} ms)",
                slot.Name, version, model.ExecutionProvider, clock.Elapsed.TotalMilliseconds, model.WarmUpTime.TotalMilliseconds);
            return model;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or ModelLoadException or ModelLoadFailedException
                                      or System.Text.Json.JsonException or ArgumentException)
        {
            // Clients see the reason (ListModels, the status message): server paths relative to the models folder.
            string reason = RelativeToRoot(e.Message);
            lock (_lock) slot.Failures[version] = reason;
            _logger.LogWarning("Loading {Name}/{Version} failed: {Error}", slot.Name, version, e.Message);
            throw e as ModelLoadFailedException ?? new ModelLoadFailedException($"{slot.Name}/{version} does not load: {reason}", e);
        }
        finally
        {
            lock (_lock) slot.Loading.Remove(version);
        }
    }

    private void Retire(PackageSlot slot, LoadedModel model)
    {
        model.Retire();
        lock (_lock)
        {
            slot.Draining.Add(model);
            _draining.RemoveAll(t => t.IsCompleted);
            _draining.Add(DisposeWhenDrainedAsync(slot, model));
        }
    }

    private async Task DisposeWhenDrainedAsync(PackageSlot slot, LoadedModel model)
    {
        await model.Drained.ConfigureAwait(false);
        lock (_lock) slot.Draining.Remove(model);
        model.Dispose();
        _logger.LogInformation("Unloaded {Name}/{Version} after {Served} requests", model.Name, model.Version, model.Served);
    }

    private PackageSlot SlotFor(string name)
    {
        if (string.IsNullOrEmpty(name)) name = DefaultName;
        if (!IsPlainName(name)) throw new InvalidModelNameException($"\"{ClientText.Truncate(name)}\" is not a package folder name");
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_packages.TryGetValue(name, out var slot))
            {
                if (!Directory.Exists(Path.Combine(Root, name)))
                    throw new ModelNotFoundException($"no model package \"{name}\" in the models folder");
                _packages[name] = slot = new PackageSlot(name);
            }
            return slot;
        }
    }

    /// <summary><paramref name="message"/> with every path under <see cref="Root"/> written relative to it.</summary>
    public string RelativeToRoot(string message) =>
        message.Replace(Root + Path.DirectorySeparatorChar, "", StringComparison.Ordinal).Replace(Root, ".", StringComparison.Ordinal);

    // One path segment, no traversal: names come from requests.
    private static bool IsPlainName(string name) =>
        name.Length is > 0 and <= 128 && name != "." && name != ".." && name.IndexOfAny(['/', '\\', '\0']) < 0;

    /// <summary>Retires every model, waits (up to <paramref name="drainTimeout"/>) for their requests and disposes them.</summary>
    public async Task ShutdownAsync(TimeSpan drainTimeout)
    {
        List<Task> waits;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var slot in _packages.Values)
            {
                foreach (var model in slot.Loaded.Values.Append(slot.Active).OfType<LoadedModel>())
                {
                    model.Retire();
                    slot.Draining.Add(model);
                    _draining.Add(DisposeWhenDrainedAsync(slot, model));
                }
                slot.Loaded.Clear();
                slot.Active = null;
            }
            waits = [.. _draining];
        }
        await Task.WhenAny(Task.WhenAll(waits), Task.Delay(drainTimeout)).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(ShutdownAsync(TimeSpan.FromSeconds(30)));

    private sealed class PackageSlot(string name)
    {
        public string Name { get; } = name;
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public LoadedModel? Active { get; set; }
        public Dictionary<string, LoadedModel> Loaded { get; } = new(StringComparer.Ordinal);
        public List<LoadedModel> Draining { get; } = [];
        public HashSet<string> Loading { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> Failures { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>A package or version that does not exist or is not loaded (NOT_FOUND).</summary>
public class ModelNotFoundException(string message) : Exception(message);

/// <summary>
/// A package or version name that can name no folder ("..", a path, empty, over 128 characters): INVALID_ARGUMENT, a
/// malformed name whatever the models folder holds (statuscodes.md). A kind of not-found for callers that catch that.
/// </summary>
public sealed class InvalidModelNameException(string message) : ModelNotFoundException(message);

/// <summary>A package that exists but does not load (FAILED_PRECONDITION).</summary>
public sealed class ModelLoadFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An admin operation the version's state does not allow (FAILED_PRECONDITION).</summary>
public sealed class ModelStateException(string message) : Exception(message);
