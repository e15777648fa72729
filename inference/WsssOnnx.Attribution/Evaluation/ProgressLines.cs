using System.Diagnostics;

namespace WsssOnnx.Attribution.Evaluation;

/// <summary>
/// Progress of a long loop over images as plain lines ("what: n/total images, elapsed, time left"): at every tenth of
/// the work, at least every 10 s, and at the end; written as reported (no thread hop). Plain text, so a redirected log
/// stays readable, and on the writer given, so a command's results can keep stdout to themselves.
/// </summary>
public sealed class ProgressLines(TextWriter log, string what, int total) : IProgress<int>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _last;
    private long _lastTenth;

    public void Report(int done)
    {
        var elapsed = _clock.Elapsed;
        long tenth = total <= 0 ? 0 : 10L * done / total;
        if (done < total && tenth == _lastTenth && elapsed - _last < TimeSpan.FromSeconds(10)) return;
        _last = elapsed;
        _lastTenth = tenth;
        var left = done == 0 ? TimeSpan.Zero : elapsed * ((double)(total - done) / done);
        log.WriteLine($"{what}: {done}/{total} images, {elapsed.TotalSeconds:F0} s, about {left.TotalSeconds:F0} s left");
    }
}
