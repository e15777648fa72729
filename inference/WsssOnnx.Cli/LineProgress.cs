using System.Diagnostics;

namespace WsssOnnx.Cli;

/// <summary>
/// Progress of a long loop as plain lines on stderr ("eval val: 120/500 images, 24 %, 35 s"), at every tenth of the
/// work and at least every 10 s, so stdout keeps only results and a redirected log stays readable.
/// </summary>
internal sealed class LineProgress(string label, int total)
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private TimeSpan _lastAt = TimeSpan.Zero;
    private int _lastTenth;

    /// <summary>Call after each item with the number done so far.</summary>
    public void Report(int done)
    {
        if (total <= 0) return;
        int tenth = (int)(10L * done / total);
        if (tenth == _lastTenth && _watch.Elapsed - _lastAt < TimeSpan.FromSeconds(10)) return;
        _lastTenth = tenth;
        _lastAt = _watch.Elapsed;
        Console.Error.WriteLine($"{label}: {done}/{total} images, {100L * done / total} %, {_watch.Elapsed.TotalSeconds:F0} s");
    }
}
