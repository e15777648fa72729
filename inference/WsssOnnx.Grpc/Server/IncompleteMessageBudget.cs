namespace WsssOnnx.Grpc.Server;

/// <summary>Bytes of partly received messages held by one connection or one server, against a limit. Thread-safe.</summary>
internal sealed class IncompleteMessageBudget(long limit, string limitName)
{
    private long _held;

    public long Limit => limit;

    /// <summary>The <see cref="GrpcTransportLimits"/> name a refusal is reported under.</summary>
    public string LimitName => limitName;

    public long Held => Volatile.Read(ref _held);

    public bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _held, bytes) <= limit) return true;
        Interlocked.Add(ref _held, -bytes);
        return false;
    }

    public void Release(long bytes) => Interlocked.Add(ref _held, -bytes);
}

/// <summary>
/// What one call's partly received messages may hold (its connection's and the server's budgets) and for how long
/// (<see cref="GrpcTransportLimits.IncompleteMessageIdleTimeout"/>, <see cref="GrpcTransportLimits.MinMessageDataRate"/>).
/// </summary>
internal sealed class IncompleteMessageGuard(GrpcTransportLimits limits, HeldStreams held, params IncompleteMessageBudget[] budgets)
{
    public TimeSpan IdleTimeout => limits.IncompleteMessageIdleTimeout;

    /// <summary>The connection's held streams: a stall while a handler holds one may not be the client's.</summary>
    public HeldStreams HeldStreams => held;

    /// <summary>How long a message of <paramref name="length"/> bytes may take from its first byte.</summary>
    public TimeSpan CompletionTimeout(long length) =>
        limits.IncompleteMessageIdleTimeout + TimeSpan.FromSeconds((double)length / limits.MinMessageDataRate);

    /// <summary>Takes <paramref name="length"/> bytes from every budget, or none: RESOURCE_EXHAUSTED naming the full one.</summary>
    public void Reserve(long length)
    {
        for (int i = 0; i < budgets.Length; i++)
        {
            if (budgets[i].TryReserve(length)) continue;
            for (int j = 0; j < i; j++) budgets[j].Release(length);
            var full = budgets[i];
            limits.Refused?.Invoke(full.LimitName);
            string scope = full.LimitName == GrpcTransportLimits.ConnectionBuffer ? "this connection" : "the server";
            throw new RpcException(GrpcStatusCode.ResourceExhausted,
                $"Partly received messages on {scope} hold {full.Held} bytes of its {full.Limit}; a message of {length} bytes does not fit. Retry later.");
        }
    }

    public void Release(long length)
    {
        foreach (var budget in budgets) budget.Release(length);
    }

    /// <summary>The status of a message that stalled or came too slowly, reported as <see cref="GrpcTransportLimits.MessageTimeout"/>.</summary>
    public RpcException TimedOut(long length, long received, TimeSpan elapsed)
    {
        limits.Refused?.Invoke(GrpcTransportLimits.MessageTimeout);
        return new RpcException(GrpcStatusCode.ResourceExhausted,
            $"Incomplete message: {received} of {length} bytes after {elapsed.TotalSeconds:F1} s (limits: {IdleTimeout.TotalSeconds:F0} s without data, " +
            $"{limits.MinMessageDataRate} bytes/s on average).");
    }
}

/// <summary>
/// The clock of one partly received message: its token is cancelled once no byte has come for the idle timeout, or the
/// message is past the time its length allows. Time during which a handler holds another stream of the connection
/// (<see cref="HeldStreams.AnyHeldByServer"/>) does not count: that stream's unread data can fill the connection's flow-control
/// window, and then the client cannot send the rest of this message however it tries. (Which stream a client's HTTP/2
/// stack sends on when the window opens is its choice, so a stall is excused whether or not other streams got data.)
/// </summary>
internal sealed class IncompleteMessageClock : IDisposable
{
    private readonly Lock _gate = new();
    private readonly IncompleteMessageGuard _guard;
    private readonly CancellationTokenSource _expired;
    private readonly Timer _timer;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _length = -1;
    private TimeSpan _lastProgress; // the last byte, or the last time a stall was found to be the server's
    private TimeSpan _excused;
    private bool _disposed;

    public IncompleteMessageClock(IncompleteMessageGuard guard, CancellationToken cancellationToken)
    {
        _guard = guard;
        _expired = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _timer = new Timer(_ => Check(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Cancelled when the message has stalled or come too slowly, or by the caller's token.</summary>
    public CancellationToken Token => _expired.Token;

    /// <summary>Whether the message's own limits, not the caller, cancelled <see cref="Token"/>.</summary>
    public bool Expired { get; private set; }

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>New bytes of the message arrived (<paramref name="length"/>: its length once the prefix is in, else -1).</summary>
    public void Progress(long length)
    {
        lock (_gate)
        {
            _length = length;
            _lastProgress = _clock.Elapsed;
            Arm();
        }
    }

    /// <summary>Time left: the idle timeout from the last progress, and the completion time plus the excused time.</summary>
    private TimeSpan Left()
    {
        var now = _clock.Elapsed;
        var idle = _guard.IdleTimeout - (now - _lastProgress);
        if (_length < 0) return idle;
        var whole = _guard.CompletionTimeout(_length) + _excused - now;
        return whole < idle ? whole : idle;
    }

    private void Arm()
    {
        var left = Left();
        _timer.Change(left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void Check()
    {
        lock (_gate)
        {
            if (_disposed) return;
            if (Left() > TimeSpan.Zero)
            {
                Arm(); // progress came after the timer was set
                return;
            }
            if (_guard.HeldStreams.AnyHeldByServer())
            {
                // The server may be what holds the client back: the interval is excused, the idle clock starts again from
                // now, and the message gets at least one more idle timeout to complete.
                var now = _clock.Elapsed;
                _excused += now - _lastProgress;
                if (_length >= 0 && _guard.CompletionTimeout(_length) + _excused < now + _guard.IdleTimeout)
                    _excused = now + _guard.IdleTimeout - _guard.CompletionTimeout(_length);
                _lastProgress = now;
                Arm();
                return;
            }
            Expired = true;
        }
        try
        {
            _expired.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The read finished (and disposed this clock) in the meantime.
        }
    }

    public void Dispose()
    {
        lock (_gate) _disposed = true;
        _timer.Dispose();
        _expired.Dispose();
    }
}
