namespace WsssOnnx.Server;

/// <summary>
/// Bounds the work the server takes on: at most <see cref="ConcurrencyLimit"/> requests run at once and at most
/// <see cref="QueueCapacity"/> wait; a request beyond that is refused at once (RESOURCE_EXHAUSTED) instead of
/// queueing without bound. Waiting honours the request's cancellation (deadline or client cancel). One request's own
/// work is bounded too: a <see cref="RequestCost"/> over <see cref="MaxRequestCost"/> is refused before it runs.
/// </summary>
public sealed class AdmissionController
{
    private readonly SemaphoreSlim _slots;
    private int _queued;
    private int _running;
    private long _completed;
    private volatile bool _closed;

    public AdmissionController(int concurrencyLimit, int queueCapacity, double maxRequestCost = double.PositiveInfinity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrencyLimit, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queueCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRequestCost);
        ConcurrencyLimit = concurrencyLimit;
        QueueCapacity = queueCapacity;
        MaxRequestCost = maxRequestCost;
        _slots = new SemaphoreSlim(concurrencyLimit, concurrencyLimit);
    }

    public int ConcurrencyLimit { get; }

    public int QueueCapacity { get; }

    /// <summary>The largest <see cref="RequestCost.Total"/> one request may have.</summary>
    public double MaxRequestCost { get; }

    public int Running => Volatile.Read(ref _running);

    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Requests that have left their slot since start (a cheap activity count for idle-time work).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>
    /// Waits for a slot. <paramref name="bounded"/> = false is for items of a stream that already limits its own
    /// in-flight count: they wait without counting against the queue's capacity.
    /// </summary>
    /// <exception cref="AdmissionRejectedException">The queue is full, or the server is shutting down.</exception>
    public async ValueTask<AdmissionTicket> EnterAsync(CancellationToken cancellation, bool bounded = true)
    {
        if (_closed) throw new AdmissionRejectedException(AdmissionRejection.ShuttingDown, "the server is shutting down");
        if (!_slots.Wait(0))
        {
            int queued = Interlocked.Increment(ref _queued);
            try
            {
                if (bounded && queued > QueueCapacity)
                {
                    throw new AdmissionRejectedException(AdmissionRejection.QueueFull,
                        $"the server is busy: {ConcurrencyLimit} requests running and {QueueCapacity} waiting; retry later");
                }
                await _slots.WaitAsync(cancellation).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _queued);
            }
        }
        Interlocked.Increment(ref _running);
        return new AdmissionTicket(this);
    }

    /// <summary>Refuses a request whose work is over <see cref="MaxRequestCost"/>, before it starts.</summary>
    /// <exception cref="RequestTooCostlyException">It is.</exception>
    public void CheckCost(RequestCost cost)
    {
        if (cost.Total > MaxRequestCost) throw new RequestTooCostlyException(cost, MaxRequestCost);
    }

    /// <summary>Refuses new requests from now on; running and queued ones continue.</summary>
    public void Close() => _closed = true;

    internal void Leave()
    {
        Interlocked.Increment(ref _completed);
        Interlocked.Decrement(ref _running);
        _slots.Release();
    }
}

/// <summary>A running request's slot; dispose to give it back.</summary>
public sealed class AdmissionTicket : IDisposable
{
    private AdmissionController? _owner;

    internal AdmissionTicket(AdmissionController owner) => _owner = owner;

    public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Leave();
}

public enum AdmissionRejection
{
    QueueFull,
    ShuttingDown,
}

/// <summary>A request the server did not admit.</summary>
public sealed class AdmissionRejectedException(AdmissionRejection reason, string message) : Exception(message)
{
    public AdmissionRejection Reason { get; } = reason;
}

/// <summary>A request whose work is over the server's limit (RESOURCE_EXHAUSTED; retrying cannot help).</summary>
public sealed class RequestTooCostlyException(RequestCost cost, double limit) : Exception(string.Create(System.Globalization.CultureInfo.InvariantCulture,
    $"request cost {cost} exceeds this server's limit of {limit:0.###e0} (wsss serve --max-request-cost); use a smaller image, fewer classes, steps or scales, or smaller scales"))
{
    public RequestCost Cost { get; } = cost;

    public double Limit { get; } = limit;
}
