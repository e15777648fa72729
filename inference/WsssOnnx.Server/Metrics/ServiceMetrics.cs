using System.Diagnostics;
using System.Diagnostics.Metrics;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Server.Metrics;

/// <summary>
/// The service's instruments (System.Diagnostics.Metrics, meter <see cref="MeterName"/>): requests by method and
/// status, latency histograms, admission queue depth and running requests, the active model versions, and process
/// memory. <see cref="PrometheusExporter"/> renders them as Prometheus text.
/// </summary>
public sealed class ServiceMetrics : IDisposable
{
    public const string MeterName = "WsssOnnx.Server";

    private readonly Meter _meter = new(MeterName, "1.0");
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _items;
    private readonly Counter<long> _refusals;
    private int _repliesPending;
    private long _refusalCount;

    public ServiceMetrics(AdmissionController admission, ModelRegistry registry)
    {
        _requests = _meter.CreateCounter<long>("wsss_requests_total", description: "RPCs finished, by method and gRPC status code");
        _duration = _meter.CreateHistogram<double>("wsss_request_duration_seconds", unit: "s", description: "RPC latency, by method");
        _items = _meter.CreateCounter<long>("wsss_regenerated_items_total", description: "RegenerateLabels items, by result (ok or the error's status)");
        _refusals = _meter.CreateCounter<long>("wsss_transport_refusals_total",
            description: "Connections and calls refused by a transport limit, by limit (connections, streams, connection_buffer, server_buffer, message_timeout)");
        _meter.CreateObservableGauge("wsss_regenerate_replies_pending", () => Volatile.Read(ref _repliesPending),
            description: "RegenerateLabels replies labelled but not yet taken by their clients (at most max_in_flight a stream)");
        _meter.CreateObservableGauge("wsss_admission_queue_depth", () => admission.Queued, description: "Requests waiting for an admission slot");
        _meter.CreateObservableGauge("wsss_admission_running", () => admission.Running, description: "Requests holding an admission slot");
        _meter.CreateObservableGauge("wsss_admission_concurrency_limit", () => admission.ConcurrencyLimit, description: "Admission slots");
        _meter.CreateObservableGauge("wsss_model_active", () => registry.ActiveModels.Select(m =>
            new Measurement<int>(1, new("name", m.Name), new("version", m.Version), new("provider", m.ExecutionProvider))),
            description: "1 for each package's active version");
        _meter.CreateObservableGauge("wsss_model_in_flight", () => registry.ActiveModels.Select(m =>
            new Measurement<int>(m.InFlight, new("name", m.Name), new("version", m.Version))), description: "Requests holding the active version");
        _meter.CreateObservableGauge("process_resident_memory_bytes", () => Process.GetCurrentProcess().WorkingSet64, unit: "bytes", description: "Resident set size");
        // The heap the GC holds after its last collection (live objects and their fragmentation), not the bytes
        // allocated since, which GC.GetTotalMemory(false) adds: that counts garbage until the next collection.
        _meter.CreateObservableGauge("dotnet_gc_heap_bytes", () => GC.GetGCMemoryInfo().HeapSizeBytes, unit: "bytes",
            description: "Managed heap size after the last garbage collection");
    }

    /// <summary>Records one finished RPC.</summary>
    public void RecordRequest(string method, string status, TimeSpan elapsed)
    {
        _requests.Add(1, new("method", method), new("code", status));
        _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("method", method));
    }

    /// <summary>Records one RegenerateLabels item.</summary>
    public void RecordItem(string result) => _items.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>Records one refusal by the transport limit named <paramref name="limit"/> (GrpcTransportLimits' names).</summary>
    public void RecordRefusal(string limit)
    {
        Interlocked.Increment(ref _refusalCount);
        _refusals.Add(1, new KeyValuePair<string, object?>("limit", limit));
    }

    /// <summary>Transport refusals since start, all limits together.</summary>
    public long RefusalCount => Interlocked.Read(ref _refusalCount);

    /// <summary>A RegenerateLabels reply starts (+1) or stops (-1) waiting for its client to take it.</summary>
    public void ReplyPending(int change) => Interlocked.Add(ref _repliesPending, change);

    public void Dispose() => _meter.Dispose();
}
