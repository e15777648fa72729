using WsssOnnx.Grpc;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Server.Metrics;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Server.Handlers;

/// <summary>
/// wsss.v1.Attribution.RegenerateLabels: reads items, labels up to max_in_flight of them at once and writes each result
/// as it completes. A failing item becomes a result with its status (the stream goes on); the stream itself fails
/// only for a bad options message, a cancelled call or a client that went away. While max_in_flight items are in
/// progress the handler does not read, so HTTP/2 flow control holds the client back.
/// </summary>
public sealed class LabelRegenerationHandler(AttributionHandler attribution, ModelRegistry registry, ServiceOptions serviceOptions, ServiceMetrics? metrics = null)
{
    public const int MaxInFlight = 64;

    public async Task RegenerateAsync(IAsyncEnumerable<RegenerateLabelsRequest> requests, Func<RegenerateLabelsResponse, Task> write, CancellationToken cancellation)
    {
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var options = new RegenerateOptions();
        int inFlight = serviceOptions.DefaultStreamInFlight;
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

        try
        {
            await foreach (var message in requests.WithCancellation(stream.Token).ConfigureAwait(false))
            {
                if (message.KindCase == RegenerateLabelsRequest.KindOneofCase.Options)
                {
                    if (!first) throw ServiceErrors.InvalidArgument("options may only be the first message of a RegenerateLabels stream");
                    options = message.Options;
                    inFlight = CheckOptions(options);
                    if (inFlight < serviceOptions.DefaultStreamInFlight)
                    {
                        for (int i = inFlight; i < serviceOptions.DefaultStreamInFlight; i++) await slots.WaitAsync(stream.Token).ConfigureAwait(false);
                    }
                    else if (inFlight > serviceOptions.DefaultStreamInFlight)
                    {
                        slots.Release(inFlight - serviceOptions.DefaultStreamInFlight);
                    }
                    first = false;
                    continue;
                }
                if (first)
                {
                    CheckOptions(options);
                    first = false;
                }
                await slots.WaitAsync(stream.Token).ConfigureAwait(false);
                var item = message.Item;
                running.Add(Task.Run(async () =>
                {
                    RegenerateLabelsResponse reply;
                    try
                    {
                        reply = await LabelAsync(item, options, stream.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        slots.Release();
                    }
                    await Reply(reply).ConfigureAwait(false);
                }, CancellationToken.None));
                if (running.Count > 4 * MaxInFlight) running.RemoveAll(t => t.IsCompleted);
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
    }

    private async Task<RegenerateLabelsResponse> LabelAsync(RegenerateItem? item, RegenerateOptions options, CancellationToken cancellation)
    {
        if (item is null) return Failed("", GrpcStatusCode.InvalidArgument, "empty message: set options or item");
        if (string.IsNullOrEmpty(item.Id)) return Failed("", GrpcStatusCode.InvalidArgument, "item.id is empty");
        try
        {
            var reply = await attribution.RegenerateAsync(item, options, cancellation).ConfigureAwait(false);
            metrics?.RecordItem("OK");
            return reply;
        }
        catch (Exception e) when (e is not OperationCanceledException && ServiceErrors.ToRpc(e) is { } rpc)
        {
            return Failed(item.Id, rpc.StatusCode, rpc.Detail);
        }
    }

    private RegenerateLabelsResponse Failed(string id, GrpcStatusCode code, string message)
    {
        metrics?.RecordItem(code.ToString());
        return new RegenerateLabelsResponse { Id = id, Error = new ItemError { Code = (int)code, Message = message } };
    }

    /// <summary>The stream's in-flight bound; throws for options that would fail every item.</summary>
    private int CheckOptions(RegenerateOptions options)
    {
        if (options.MaxInFlight > MaxInFlight) throw ServiceErrors.InvalidArgument($"options.max_in_flight must be in [0, {MaxInFlight}]; got {options.MaxInFlight}");
        if (!Enum.IsDefined(options.Method)) throw ServiceErrors.InvalidArgument($"options.method: {(int)options.Method} is not an AttributionMethod");
        if (!Enum.IsDefined(options.Label)) throw ServiceErrors.InvalidArgument($"options.label: {(int)options.Label} is not a LabelKind");
        using (var lease = registry.Acquire(options.Model?.Name, options.Model?.Version))
        {
            AttributionHandler.Options(lease.Model, options.Method, options.Parameters, serviceOptions.MaxImageSide);
        }
        return options.MaxInFlight == 0 ? serviceOptions.DefaultStreamInFlight : (int)options.MaxInFlight;
    }
}
