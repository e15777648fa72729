using Microsoft.Extensions.Logging;

namespace WsssOnnx.Server.Models;

/// <summary>
/// Watches the models/ folder and activates a package's newest version when one appears (ops copy a new version folder
/// in; the exporter writes manifest.json last, so a version counts once its manifest exists). File-system events are
/// only a hint: every <see cref="PollInterval"/> the folder is scanned anyway, since inotify misses events on some
/// mounts. A version whose load failed is retried only after its folder changes. Only a version newer than any the
/// watch has seen counts as new: an operator who activates an older version through ModelAdmin (a rollback) keeps it.
/// </summary>
public sealed class ModelDirectoryWatcher : IAsyncDisposable
{
    private readonly ModelRegistry _registry;
    private readonly ILogger _logger;
    private readonly FileSystemWatcher? _watcher;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Dictionary<string, DateTime> _failedAt = new(StringComparer.Ordinal);
    // Per package, the newest version already on disk or activated by the watch; only a newer one appears.
    private readonly Dictionary<string, string> _seen = new(StringComparer.Ordinal);
    private readonly Task _loop;

    public ModelDirectoryWatcher(ModelRegistry registry, ILogger logger, TimeSpan? pollInterval = null)
    {
        _registry = registry;
        _logger = logger;
        PollInterval = pollInterval ?? TimeSpan.FromSeconds(2);
        foreach (var active in registry.ActiveModels)
        {
            _seen[active.Name] = Newer(registry.NewestVersion(active.Name), active.Version);
            // Newer versions that failed at start are not "seen": like any failed load, they are retried once their folder changes.
            foreach (string version in registry.VersionsOnDisk(active.Name).Where(v => ModelRegistry.CompareVersions(v, active.Version) > 0))
            {
                if (registry.Status(active.Name, version).State != ModelVersionState.Failed) continue;
                _failedAt[active.Name + "/" + version] = DateTime.UtcNow;
                if (ModelRegistry.CompareVersions(_seen[active.Name], version) >= 0) _seen[active.Name] = active.Version;
            }
        }
        if (Directory.Exists(registry.Root))
        {
            try
            {
                _watcher = new FileSystemWatcher(registry.Root) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.DirectoryName | NotifyFilters.FileName | NotifyFilters.LastWrite };
                _watcher.Created += (_, _) => Wake();
                _watcher.Renamed += (_, _) => Wake();
                _watcher.Changed += (_, _) => Wake();
                _watcher.EnableRaisingEvents = true;
            }
            catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
            {
                _logger.LogWarning("Model folder watch unavailable ({Error}); polling every {Seconds} s", e.Message, PollInterval.TotalSeconds);
            }
        }
        _loop = Task.Run(LoopAsync);
    }

    public TimeSpan PollInterval { get; }

    /// <summary>Raised after each scan (tests wait on it).</summary>
    public event Action? Scanned;

    private void Wake()
    {
        try { _wake.Release(); } catch (SemaphoreFullException) { }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(PollInterval, _stop.Token).ConfigureAwait(false);
                // Let a burst of events (a folder being copied) settle before looking.
                await Task.Delay(200, _stop.Token).ConfigureAwait(false);
                await ScanAsync(_stop.Token).ConfigureAwait(false);
                Scanned?.Invoke();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Model folder scan failed: {Error}", e.Message);
            }
        }
    }

    /// <summary>Activates the newest version of every served package if it is newer than the active one.</summary>
    public async Task ScanAsync(CancellationToken cancellation)
    {
        foreach (var active in _registry.ActiveModels)
        {
            string? newest = _registry.NewestVersion(active.Name);
            // A package activated after the watch started: what is on disk now is not new.
            if (!_seen.TryGetValue(active.Name, out string? seen)) _seen[active.Name] = seen = Newer(newest, active.Version);
            if (newest is null || ModelRegistry.CompareVersions(newest, seen) <= 0 || ModelRegistry.CompareVersions(newest, active.Version) <= 0) continue;
            string key = active.Name + "/" + newest;
            DateTime changed = LastChange(Path.Combine(_registry.Root, active.Name, newest));
            if (_failedAt.TryGetValue(key, out var failed) && changed <= failed) continue;
            try
            {
                _logger.LogInformation("New version {Name}/{Version} found in {Root}; activating", active.Name, newest, _registry.Root);
                await _registry.ActivateAsync(active.Name, newest, cancellation).ConfigureAwait(false);
                _seen[active.Name] = newest;
                _failedAt.Remove(key);
            }
            catch (Exception e) when (e is ModelLoadFailedException or ModelNotFoundException)
            {
                _failedAt[key] = DateTime.UtcNow;
                _logger.LogWarning("Keeping {Name}/{Active}: {Error}", active.Name, active.Version, e.Message);
            }
        }
    }

    private static string Newer(string? a, string b) => ModelRegistry.CompareVersions(a, b) > 0 ? a! : b;

    private static DateTime LastChange(string folder)
    {
        var last = Directory.GetLastWriteTimeUtc(folder);
        foreach (string file in Directory.EnumerateFiles(folder))
        {
            var t = File.GetLastWriteTimeUtc(file);
            if (t > last) last = t;
        }
        return last;
    }

    public async ValueTask DisposeAsync()
    {
        _watcher?.Dispose();
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
