using System.Globalization;

namespace WsssOnnx.Grpc.Protocol;

/// <summary>PROTOCOL-HTTP2: Timeout → "grpc-timeout" TimeoutValue TimeoutUnit, value at most 8 ASCII digits, units H M S m u n.</summary>
internal static class GrpcTimeout
{
    private const long MaxValue = 99_999_999;

    /// <summary>The timeout, or null when the header is malformed (then the call runs without one, as grpc-core does).</summary>
    public static TimeSpan? Parse(string value)
    {
        if (value.Length < 2 || value.Length > 9) return null;
        var digits = value.AsSpan(0, value.Length - 1);
        foreach (var c in digits) if (c is < '0' or > '9') return null;
        var amount = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        long? ticks = value[^1] switch
        {
            'H' => amount * TimeSpan.TicksPerHour,
            'M' => amount * TimeSpan.TicksPerMinute,
            'S' => amount * TimeSpan.TicksPerSecond,
            'm' => amount * TimeSpan.TicksPerMillisecond,
            'u' => amount * 10,
            'n' => amount / 100,
            _ => null,
        };
        return ticks is { } t ? TimeSpan.FromTicks(t) : null;
    }

    /// <summary>
    /// The longest timer <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/> takes: 2^32-2 ms, about 49.7 days.
    /// A legal grpc-timeout goes up to 99999999 hours (11 400 years).
    /// </summary>
    public static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>
    /// The deadline <paramref name="timeout"/> after <paramref name="now"/>, saturating at <see cref="DateTime.MaxValue"/>
    /// (grpc-core likewise saturates an overflowing deadline to the infinite future).
    /// </summary>
    public static DateTime DeadlineAfter(DateTime now, TimeSpan timeout) =>
        timeout >= DateTime.MaxValue - now ? DateTime.MaxValue : now + timeout;

    /// <summary>
    /// Cancels <paramref name="source"/> after <paramref name="timeout"/> (at once when it is not positive). A timeout
    /// beyond <see cref="LongestTimer"/> arms no timer: such a deadline is the infinite future, as in grpc-core.
    /// </summary>
    public static void CancelAfter(CancellationTokenSource source, TimeSpan timeout)
    {
        if (timeout <= LongestTimer) source.CancelAfter(timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero);
    }

    /// <summary>The shortest-unit encoding that fits 8 digits, rounded up so a deadline is never sent early.</summary>
    public static string Format(TimeSpan timeout)
    {
        var ticks = Math.Max(timeout.Ticks, 1);
        // A tick is 100 ns.
        if (ticks <= MaxValue / 100) return (ticks * 100).ToString(CultureInfo.InvariantCulture) + "n";
        ReadOnlySpan<(long TicksPerUnit, char Unit)> units =
            [(10, 'u'), (TimeSpan.TicksPerMillisecond, 'm'), (TimeSpan.TicksPerSecond, 'S'), (TimeSpan.TicksPerMinute, 'M'), (TimeSpan.TicksPerHour, 'H')];
        foreach (var (perUnit, unit) in units)
        {
            var amount = ticks / perUnit + (ticks % perUnit == 0 ? 0 : 1);
            if (amount <= MaxValue) return amount.ToString(CultureInfo.InvariantCulture) + unit;
        }
        return MaxValue.ToString(CultureInfo.InvariantCulture) + "H";
    }
}
