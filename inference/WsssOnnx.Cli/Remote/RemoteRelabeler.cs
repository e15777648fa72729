using System.Collections.Concurrent;
using WsssOnnx.Datasets;
using WsssOnnx.Grpc;
using WsssOnnx.Grpc.Client;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Server;

namespace WsssOnnx.Cli.Remote;

/// <summary>
/// Pushes a list of images through RegenerateLabels on every server of a <see cref="ServerPool"/>: one bidirectional
/// stream per server, at most <c>window</c> items unanswered on each (the in-flight bound), results handed over as they
/// arrive. When a stream breaks (server down, restarting, or a transient status), the items it had not answered go
/// back to the queue for any server, and the stream is reopened after an exponential back-off; after
/// <see cref="ServerPool.Retries"/> consecutive failures that server is given up. A status that is the request's own
/// fault (a bad options message, an unknown model) stops the whole run.
/// </summary>
internal sealed class RemoteRelabeler(ServerPool pool, RegenerateOptions options, int window)
{
    private readonly ConcurrentQueue<string> _pending = new();
    private int _remaining;

    /// <summary>Raised for every answered item (from stream reader tasks, one at a time per server).</summary>
    public event Action<RegenerateLabelsResponse>? Answered;

    /// <summary>Raised for an item that failed on the client side (its image could not be read).</summary>
    public event Action<string, string>? Failed;

    /// <summary>Raised when a stream breaks and is retried: the server and the reason.</summary>
    public event Action<string, string>? StreamRetried;

    /// <summary>Labels every id; <paramref name="item"/> builds an item (reads its image) just before it is sent.</summary>
    /// <returns>The ids no server answered (all servers gave up), with the last stream error.</returns>
    public async Task<(IReadOnlyList<string> Unanswered, string? LastError)> RunAsync(IReadOnlyList<string> ids, Func<string, RegenerateItem> item,
        CancellationToken cancellation)
    {
        foreach (string id in ids) _pending.Enqueue(id);
        _remaining = ids.Count;
        string? lastError = null;
        using var fatal = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        RpcException? fatalError = null;
        var workers = pool.Channels.Select(channel => Task.Run(async () =>
        {
            int failures = 0;
            while (Volatile.Read(ref _remaining) > 0 && !fatal.IsCancellationRequested)
            {
                if (_pending.IsEmpty)
                {
                    // Other streams hold the rest; wait in case one breaks and requeues its items.
                    await Task.Delay(50, fatal.Token).ConfigureAwait(false);
                    continue;
                }
                try
                {
                    if (await StreamAsync(channel, item, fatal.Token).ConfigureAwait(false)) failures = 0;
                }
                catch (RpcException e) when (ServerPool.IsTransient(e) || e.StatusCode is GrpcStatusCode.Internal or GrpcStatusCode.Unknown)
                {
                    lastError = $"{channel.Address.Authority}: {e.StatusCode}: {e.Detail}";
                    StreamRetried?.Invoke(channel.Address.Authority, $"{e.StatusCode}: {e.Detail}");
                    if (++failures > pool.Retries) return;
                    double backoff = Math.Min(5000, 200 * Math.Pow(2, failures - 1)) * (0.5 + Random.Shared.NextDouble());
                    await Task.Delay(TimeSpan.FromMilliseconds(backoff), fatal.Token).ConfigureAwait(false);
                }
                catch (RpcException e) when (e.StatusCode != GrpcStatusCode.Cancelled || !fatal.IsCancellationRequested)
                {
                    fatalError ??= e;
                    await fatal.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }, CancellationToken.None)).ToList();
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (fatal.IsCancellationRequested)
        {
        }
        if (fatalError is not null) throw fatalError;
        cancellation.ThrowIfCancellationRequested();
        return ([.. _pending], lastError);
    }

    /// <summary>One stream on one server until the queue is empty; unanswered items are requeued if it breaks.</summary>
    /// <returns>Whether any item was answered (a healthy stream resets the failure count).</returns>
    private async Task<bool> StreamAsync(GrpcClientChannel channel, Func<string, RegenerateItem> item, CancellationToken cancellation)
    {
        var outstanding = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        bool answered = false;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var call = channel.Duplex(WsssApi.RegenerateLabels, new GrpcCallOptions { CancellationToken = stop.Token });
        using var slots = new SemaphoreSlim(window, window);
        Task? reader = null;
        try
        {
            await call.RequestStream.WriteAsync(new RegenerateLabelsRequest { Options = options }, stop.Token).ConfigureAwait(false);
            reader = Task.Run(async () =>
            {
                try
                {
                    await foreach (var reply in call.ReadAllAsync(stop.Token).ConfigureAwait(false))
                    {
                        if (!outstanding.TryRemove(reply.Id, out _)) continue;
                        answered = true;
                        Answered?.Invoke(reply);
                        Interlocked.Decrement(ref _remaining);
                        slots.Release();
                    }
                }
                finally
                {
                    // The writer must not wait for a window slot on a stream that has ended.
                    await stop.CancelAsync().ConfigureAwait(false);
                }
            }, CancellationToken.None);

            while (true)
            {
                await slots.WaitAsync(stop.Token).ConfigureAwait(false);
                if (!_pending.TryDequeue(out string? id))
                {
                    slots.Release();
                    break;
                }
                RegenerateItem message;
                try
                {
                    message = item(id);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or CommandFailedException or DatasetException or InvalidDataException)
                {
                    Failed?.Invoke(id, e.Message);
                    Interlocked.Decrement(ref _remaining);
                    slots.Release();
                    continue;
                }
                outstanding[id] = 0;
                await call.RequestStream.WriteAsync(new RegenerateLabelsRequest { Item = message }, stop.Token).ConfigureAwait(false);
            }
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
            if (!outstanding.IsEmpty)
                throw new RpcException(GrpcStatusCode.Internal, $"the stream ended with {outstanding.Count} items unanswered");
            return answered;
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested && reader is not null)
        {
            // The reader ended the stream early: its exception (the status) says why.
            await reader.ConfigureAwait(false);
            throw new RpcException(GrpcStatusCode.Unavailable, "the stream ended early");
        }
        finally
        {
            foreach (string id in outstanding.Keys) _pending.Enqueue(id);
            if (reader is not null)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                try { await reader.ConfigureAwait(false); } catch (Exception) when (reader.IsFaulted || reader.IsCanceled) { }
            }
        }
    }
}
