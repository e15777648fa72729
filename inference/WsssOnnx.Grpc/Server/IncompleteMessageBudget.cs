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
internal sealed class IncompleteMessageGuard(GrpcTransportLimits limits, params IncompleteMessageBudget[] budgets)
{
    public TimeSpan IdleTimeout => limits.IncompleteMessageIdleTimeout;

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
