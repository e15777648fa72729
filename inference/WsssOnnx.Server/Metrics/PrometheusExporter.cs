using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace WsssOnnx.Server.Metrics;

/// <summary>
/// Collects the measurements of the meters it is given with a <see cref="MeterListener"/> and renders them in the
/// Prometheus text exposition format (version 0.0.4): counters as sums, histograms with fixed buckets (seconds), and
/// observable gauges read at render time.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>Histogram bucket upper bounds in seconds (+Inf is implicit).</summary>
    public static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Series> _series = new();
    private readonly HashSet<string> _meters;
    private readonly Lock _renderLock = new();

    public PrometheusExporter(params string[] meterNames)
    {
        _meters = new HashSet<string>(meterNames, StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!_meters.Contains(instrument.Meter.Name)) return;
            _series.TryAdd(instrument, new Series(instrument));
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_series.TryGetValue(instrument, out var series)) series.Record(value, Key(tags));
    }

    private static string Key(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var pairs = new List<KeyValuePair<string, object?>>(tags.Length);
        foreach (var tag in tags) pairs.Add(tag);
        pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var text = new StringBuilder();
        foreach (var (name, value) in pairs)
        {
            if (text.Length > 0) text.Append(',');
            text.Append(Sanitize(name)).Append("=\"").Append(EscapeLabel(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")).Append('"');
        }
        return text.ToString();
    }

    /// <summary>The exposition text for every instrument seen so far.</summary>
    public string Render()
    {
        lock (_renderLock)
        {
            foreach (var series in _series.Values) if (series.IsGauge) series.ClearGauge();
            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var series in _series.Values.OrderBy(s => s.Name, StringComparer.Ordinal)) series.Write(text);
            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    private static string Sanitize(string name)
    {
        var s = new StringBuilder(name.Length);
        foreach (char c in name) s.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':' ? c : '_');
        return s.ToString();
    }

    // Exposition format: label values escape backslash, double quote and line feed.
    private static string EscapeLabel(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private static string Format(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : v.ToString("R", CultureInfo.InvariantCulture);

    private sealed class Series(Instrument instrument)
    {
        private readonly ConcurrentDictionary<string, double> _values = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, HistogramCells> _histograms = new(StringComparer.Ordinal);

        public string Name { get; } = Sanitize(instrument.Name);

        public bool IsGauge { get; } = instrument is ObservableGauge<int> or ObservableGauge<long> or ObservableGauge<double>;

        private bool IsHistogram { get; } = instrument is Histogram<int> or Histogram<long> or Histogram<double>;

        public void ClearGauge() => _values.Clear();

        public void Record(double value, string key)
        {
            if (IsHistogram) _histograms.GetOrAdd(key, _ => new HistogramCells()).Add(value);
            else if (IsGauge) _values[key] = value;
            else _values.AddOrUpdate(key, value, (_, old) => old + value);
        }

        public void Write(StringBuilder text)
        {
            string type = IsHistogram ? "histogram" : IsGauge ? "gauge" : "counter";
            if (!string.IsNullOrEmpty(instrument.Description)) text.Append("# HELP ").Append(Name).Append(' ').Append(instrument.Description.Replace("\n", " ")).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
            if (IsHistogram)
            {
                foreach (var (key, cells) in _histograms.OrderBy(p => p.Key, StringComparer.Ordinal)) cells.Write(text, Name, key);
                return;
            }
            foreach (var (key, value) in _values.OrderBy(p => p.Key, StringComparer.Ordinal))
                text.Append(Name).Append(key.Length > 0 ? "{" + key + "}" : "").Append(' ').Append(Format(value)).Append('\n');
        }
    }

    private sealed class HistogramCells
    {
        private readonly long[] _counts = new long[Buckets.Length + 1];
        private readonly Lock _lock = new();
        private double _sum;
        private long _count;

        public void Add(double value)
        {
            int i = 0;
            while (i < Buckets.Length && value > Buckets[i]) i++;
            lock (_lock)
            {
                _counts[i]++;
                _sum += value;
                _count++;
            }
        }

        public void Write(StringBuilder text, string name, string key)
        {
            long[] counts;
            double sum;
            long count;
            lock (_lock)
            {
                counts = (long[])_counts.Clone();
                sum = _sum;
                count = _count;
            }
            string prefix = key.Length > 0 ? key + "," : "";
            long cumulative = 0;
            for (int i = 0; i <= Buckets.Length; i++)
            {
                cumulative += counts[i];
                string le = i < Buckets.Length ? Format(Buckets[i]) : "+Inf";
                text.Append(name).Append("_bucket{").Append(prefix).Append("le=\"").Append(le).Append("\"} ").Append(cumulative).Append('\n');
            }
            string labels = key.Length > 0 ? "{" + key + "}" : "";
            text.Append(name).Append("_sum").Append(labels).Append(' ').Append(Format(sum)).Append('\n');
            text.Append(name).Append("_count").Append(labels).Append(' ').Append(count).Append('\n');
        }
    }
}
