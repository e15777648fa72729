using Microsoft.Extensions.Logging.Abstractions;
using WsssOnnx.Grpc;
using WsssOnnx.Imaging;
using WsssOnnx.Runtime;
using WsssOnnx.Server.Handlers;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Server.Tests;

public sealed class ModelRegistryTests : IDisposable
{
    private readonly TestModels _models = new("1", "2");

    private ModelRegistry NewRegistry() => new(_models.Root, new SessionConfig { IntraOpThreads = 1 }, NullLogger.Instance);

    [Fact]
    public async Task Activate_without_a_version_serves_the_newest_and_lists_every_version()
    {
        await using var registry = NewRegistry();
        var model = await registry.ActivateAsync("default");
        Assert.Equal("2", model.Version);
        using (var lease = registry.Acquire(null, null)) Assert.Same(model, lease.Model);
        var states = registry.List().ToDictionary(s => s.Version, s => s.State);
        Assert.Equal(ModelVersionState.Available, states["1"]);
        Assert.Equal(ModelVersionState.Active, states["2"]);
    }

    [Fact]
    public async Task A_swap_lets_held_leases_finish_on_the_old_version_then_disposes_it()
    {
        await using var registry = NewRegistry();
        var first = await registry.ActivateAsync("default", "1");
        var held = registry.Acquire("default", null);
        var second = await registry.ActivateAsync("default", "2");

        Assert.Equal(ModelVersionState.Draining, registry.Status("default", "1").State);
        using (var lease = registry.Acquire("default", null)) Assert.Same(second, lease.Model);
        // The old version still works for the request that holds it.
        var labels = held.Model.Pipeline.Segment(new ImageDecoder().DecodeRgb(TestModels.ImagePng()), CancellationToken.None);
        Assert.Equal(96, labels.Width);
        Assert.False(first.Drained.IsCompleted);
        held.Dispose();
        await first.Drained.WaitAsync(TimeSpan.FromSeconds(10));
        await WaitUntil(() => registry.Status("default", "1").State == ModelVersionState.Available);
    }

    [Fact]
    public async Task A_damaged_version_fails_to_load_and_the_active_version_keeps_serving()
    {
        _models.AddDamagedVersion("default", "3");
        await using var registry = NewRegistry();
        await registry.ActivateAsync("default", "2");
        var error = await Assert.ThrowsAsync<ModelLoadFailedException>(() => registry.ActivateAsync("default", "3"));
        Assert.Contains("sha256", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ModelVersionState.Failed, registry.Status("default", "3").State);
        using var lease = registry.Acquire(null, null);
        Assert.Equal("2", lease.Model.Version);
    }

    [Fact]
    public async Task Explicit_versions_must_be_loaded_and_the_active_one_cannot_be_unloaded()
    {
        await using var registry = NewRegistry();
        await registry.ActivateAsync("default", "2");
        Assert.Throws<ModelNotFoundException>(() => registry.Acquire("default", "1"));
        await registry.LoadAsync("default", "1");
        Assert.Equal(ModelVersionState.Loaded, registry.Status("default", "1").State);
        using (var lease = registry.Acquire("default", "1")) Assert.Equal("1", lease.Model.Version);
        await Assert.ThrowsAsync<ModelStateException>(() => registry.UnloadAsync("default", "2"));
        await registry.UnloadAsync("default", "1");
        await WaitUntil(() => registry.Status("default", "1").State == ModelVersionState.Available);
        Assert.Throws<ModelNotFoundException>(() => registry.Acquire("default", "1"));
        // Quoted, so that a stray space in what the client sent shows.
        var notLoaded = await Assert.ThrowsAsync<ModelNotFoundException>(() => registry.UnloadAsync("default", "1 "));
        Assert.Equal("version \"1 \" of model package \"default\" is not loaded", notLoaded.Message);
    }

    [Theory]
    [InlineData("nope", "1")]
    [InlineData("default", "9")]
    public async Task Unknown_names_are_not_found(string name, string version)
    {
        await using var registry = NewRegistry();
        var e = await Assert.ThrowsAsync<ModelNotFoundException>(() => registry.LoadAsync(name, version));
        Assert.IsNotType<InvalidModelNameException>(e);
        Assert.Equal(GrpcStatusCode.NotFound, ServiceErrors.ToRpc(e)!.StatusCode);
    }

    [Theory]
    [InlineData("..", "1")]
    [InlineData("a/b", "1")]
    [InlineData("default", "../default/1")]
    [InlineData("default", "")]
    public async Task Path_like_names_are_invalid_arguments(string name, string version)
    {
        await using var registry = NewRegistry();
        var e = await Assert.ThrowsAsync<InvalidModelNameException>(() => registry.LoadAsync(name, version));
        Assert.Equal(GrpcStatusCode.InvalidArgument, ServiceErrors.ToRpc(e)!.StatusCode);
    }

    [Fact]
    public async Task Requests_during_repeated_swaps_always_get_a_live_model()
    {
        await using var registry = NewRegistry();
        await registry.ActivateAsync("default", "1");
        await registry.LoadAsync("default", "2");
        var image = new ImageDecoder().DecodeRgb(TestModels.ImagePng(48, 40));
        using var stop = new CancellationTokenSource();
        var served = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var workers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var lease = registry.Acquire(null, null);
                lease.Model.Pipeline.Segment(image, CancellationToken.None);
                Assert.False(lease.Model.Drained.IsCompleted);
                served.AddOrUpdate(lease.Model.Version, 1, (_, n) => n + 1);
            }
        })).ToArray();
        for (int i = 0; i < 6; i++)
        {
            await registry.ActivateAsync("default", i % 2 == 0 ? "2" : "1");
            await Task.Delay(150);
        }
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.True(served.Keys.Count == 2, $"both versions served: {string.Join(", ", served)}");
    }

    [Fact]
    public async Task The_directory_watch_activates_a_new_version_and_ignores_a_damaged_one()
    {
        await using var registry = NewRegistry();
        await registry.ActivateAsync("default", "2");
        await using var watcher = new ModelDirectoryWatcher(registry, NullLogger.Instance, TimeSpan.FromMilliseconds(300));
        _models.AddDamagedVersion("default", "3");
        await WaitUntil(() => registry.Status("default", "3").State == ModelVersionState.Failed, TimeSpan.FromSeconds(30));
        using (var lease = registry.Acquire(null, null)) Assert.Equal("2", lease.Model.Version);
        _models.AddVersion("default", "4");
        await WaitUntil(() => registry.ActiveModels.Single().Version == "4", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task The_directory_watch_leaves_a_rollback_to_an_older_version_alone()
    {
        await using var registry = NewRegistry();
        await registry.ActivateAsync("default", "2");
        await using var watcher = new ModelDirectoryWatcher(registry, NullLogger.Instance, TimeSpan.FromMilliseconds(100));
        await registry.ActivateAsync("default", "1");
        int scans = 0;
        watcher.Scanned += () => Interlocked.Increment(ref scans);
        await WaitUntil(() => Volatile.Read(ref scans) >= 3);
        Assert.Equal("1", registry.ActiveModels.Single().Version);
    }

    internal static async Task WaitUntil(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in time");
            await Task.Delay(25);
        }
    }

    public void Dispose() => _models.Dispose();
}
