using Google.Protobuf;
using Microsoft.Extensions.Logging;
using WsssOnnx.Grpc;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Server.Metrics;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Server.Handlers;

/// <summary>
/// wsss.v1.Attribution.RegenerateLabels: reads items, labels up to max_in_flight of them at once and writes each result
/// as it completes. A failing item becomes a result with its status (the stream goes on), an unexpected failure too
/// (INTERNAL, logged); the stream itself fails only for a bad options message, a cancelled call or a client that went
/// away. An item holds its stream slot until its reply is written, not only while it is labelled: while max_in_flight
/// items are in progress or waiting for the client to take their replies, the handler does not read, so HTTP/2 flow
/// control holds the client back and a client that never reads cannot make the server hold more than max_in_flight
/// replies (the admission slot is released as soon as the labelling is done, so such a client holds no compute).
/// All streams together start at most <see cref="ServiceOptions.ConcurrencyLimit"/> + <see cref="ServiceOptions.QueueCapacity"/>
/// items that are not labelled yet (waiting for admission or running): a stream whose item finds no such place free
/// holds that one item and reads no further until a place frees, so many streams cannot make the server hold more than
/// one waiting image each beyond what the admission queue would.
/// </summary>
public sealed class LabelRegenerationHandler
{
    public const int MaxInFlight = 64;

    private readonly Func<RegenerateItem, RegenerateOptions, CancellationToken, Task<RegenerateLabelsResponse>> _label;
    private readonly ModelRegistry _registry;
    private readonly ServiceOptions _serviceOptions;
    private readonly ServiceMetrics? _metrics;
    private readonly ILogger? _logger;

    /// <summary>Places for items started and not yet labelled, shared by all streams.</summary>
    private readonly SemaphoreSlim _unlabelled;

    public LabelRegenerationHandler(AttributionHandler attribution, ModelRegistry registry, ServiceOptions serviceOptions,
        ServiceMetrics? metrics = null, ILogger? logger = null)
        : this(attribution.RegenerateAsync, registry, serviceOptions, metrics, logger)
    {
    }

    /// <summary>With the per-item work given: tests use it to make an item fail in ways the real work should not.</summary>
    internal LabelRegenerationHandler(Func<RegenerateItem, RegenerateOptions, CancellationToken, Task<RegenerateLabelsResponse>> label,
        ModelRegistry registry, ServiceOptions serviceOptions, ServiceMetrics? metrics = null, ILogger? logger = null)
    {
        _label = label;
        _registry = registry;
        _serviceOptions = serviceOptions;
        _metrics = metrics;
        _logger = logger;
        _unlabelled = new SemaphoreSlim(serviceOptions.ConcurrencyLimit + serviceOptions.QueueCapacity);
    }

    public async Task RegenerateAsync(IAsyncEnumerable<RegenerateLabelsRequest> requests, Func<RegenerateLabelsResponse, Task> write, CancellationToken cancellation)
    {
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var options = new RegenerateOptions();
        int inFlight = _serviceOptions.DefaultStreamInFlight;
        var slots = new SemaphoreSlim(inFlight, MaxInFlight);
        var writeLock = new SemaphoreSlim(1, 1);
        var running = new List<Task>();
        bool first = true;
        Exception? writeFailure = null;

        async Task Reply(RegenerateLabelsResponse response)
        {
            await writeLock.WaitAsync(stream.Token).ConfigureAwait(false);
            try
            {
                await write(response).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // The client is gone or the call was cancelled: stop the other items too.
                writeFailure ??= e;
                await stream.CancelAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                writeLock.Release();
            }
        }

        var reader = requests.GetAsyncEnumerator(stream.Token);
        try
        {
            // A place in this stream before the next message is read, and one among all streams' unlabelled items before
            // an item starts: waiting for either stops reading, and HTTP/2 flow control holds the client back. The shared
            // place is taken after the read, so a stream idling between its items does not hold one from the others.
            while (true)
            {
                await slots.WaitAsync(stream.Token).ConfigureAwait(false);
                if (!await reader.MoveNextAsync().ConfigureAwait(false)) break;
                var message = reader.Current;
                if (message.KindCase == RegenerateLabelsRequest.KindOneofCase.Options)
                {
                    if (!first) throw ServiceErrors.InvalidArgument("options may only be the first message of a RegenerateLabels stream");
                    slots.Release();
                    options = message.Options;
                    inFlight = CheckOptions(options);
                    if (inFlight < _serviceOptions.DefaultStreamInFlight)
                    {
                        for (int i = inFlight; i < _serviceOptions.DefaultStreamInFlight; i++) await slots.WaitAsync(stream.Token).ConfigureAwait(false);
                    }
                    else if (inFlight > _serviceOptions.DefaultStreamInFlight)
                    {
                        slots.Release(inFlight - _serviceOptions.DefaultStreamInFlight);
                    }
                    first = false;
                    continue;
                }
                if (first)
                {
                    CheckOptions(options);
                    first = false;
                }
                await _unlabelled.WaitAsync(stream.Token).ConfigureAwait(false);
                var item = message.Item;
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        RegenerateLabelsResponse reply;
                        try
                        {
                            reply = await LabelAsync(item, options, stream.Token).ConfigureAwait(false);
                        }
                        finally
                        {
                            // Labelled: the image is not needed any more, so a reply waiting for its client holds none.
                            _unlabelled.Release();
                            if (item is not null) item.Image = ByteString.Empty;
                        }
                        // The slot covers the reply until it is written: one the client does not take keeps it.
                        _metrics?.ReplyPending(1);
                        try
                        {
                            await Reply(reply).ConfigureAwait(false);
                        }
                        finally
                        {
                            _metrics?.ReplyPending(-1);
                        }
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None));
                // Only tasks that succeeded are dropped: a faulted one stays for Task.WhenAll to observe.
                if (running.Count > 4 * MaxInFlight) running.RemoveAll(t => t.IsCompletedSuccessfully);
            }
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch when (writeFailure is not null)
        {
            await Task.WhenAll(running.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
            throw writeFailure;
        }
        catch
        {
            await stream.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(running.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<RegenerateLabelsResponse> LabelAsync(RegenerateItem? item, RegenerateOptions options, CancellationToken cancellation)
    {
        if (item is null) return Failed("", GrpcStatusCode.InvalidArgument, "empty message: set options or item");
        if (string.IsNullOrEmpty(item.Id)) return Failed("", GrpcStatusCode.InvalidArgument, "item.id is empty");
        try
        {
            var reply = await _label(item, options, cancellation).ConfigureAwait(false);
            _metrics?.RecordItem("OK");
            return reply;
        }
        catch (Exception e) when (e is not OperationCanceledException && ServiceErrors.ToRpc(e) is { } rpc)
        {
            return Failed(item.Id, rpc.StatusCode, rpc.Detail);
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            // A bug, not the client's doing: the item still gets its reply (INTERNAL, as a unary call would), the
            // exception goes to the log only.
            _logger?.LogError(e, "RegenerateLabels item {Id} failed with an unexpected error", item.Id);
            return Failed(item.Id, GrpcStatusCode.Internal, "unexpected server error labelling this item");
        }
    }

    private RegenerateLabelsResponse Failed(string id, GrpcStatusCode code, string message)
    {
        _metrics?.RecordItem(code.ToString());
        return new RegenerateLabelsResponse { Id = id, Error = new ItemError { Code = (int)code, Message = message } };
    }

    /// <summary>The stream's in-flight bound; throws for options that would fail every item.</summary>
    private int CheckOptions(RegenerateOptions options)
    {
        if (options.MaxInFlight > MaxInFlight) throw ServiceErrors.InvalidArgument($"options.max_in_flight must be in [0, {MaxInFlight}]; got {options.MaxInFlight}");
        if (!Enum.IsDefined(options.Method)) throw ServiceErrors.InvalidArgument($"options.method: {(int)options.Method} is not an AttributionMethod");
        if (!Enum.IsDefined(options.Label)) throw ServiceErrors.InvalidArgument($"options.label: {(int)options.Label} is not a LabelKind");
        using (var lease = _registry.Acquire(options.Model?.Name, options.Model?.Version))
        {
            // Every parameter an item would be labelled with, so that a bad one fails the stream here, not each item.
            bool confident = options.Label == LabelKind.Confident;
            AttributionHandler.Parameters(lease.Model, options.Method, options.Parameters, _serviceOptions.MaxImageSide,
                options.HasBackgroundThreshold ? options.BackgroundThreshold : null, confident ? options.ConfidentThresholds : null,
                confident ? "options.confident_thresholds" : null, options.Label == LabelKind.RandomWalk, options.FickleNet, fields: "options.");
        }
        return options.MaxInFlight == 0 ? _serviceOptions.DefaultStreamInFlight : (int)options.MaxInFlight;
    }
}
