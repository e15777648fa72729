using System.Collections;
using System.Text;

namespace WsssOnnx.Grpc;

/// <summary>
/// Custom-Metadata of a call (PROTOCOL-HTTP2: Requests): ordered key/value pairs, keys lower-case.
/// Keys ending in "-bin" carry bytes, sent base64 (un-padded); other values must be printable ASCII.
/// </summary>
public sealed class Metadata : IEnumerable<Metadata.Entry>
{
    /// <summary>One key/value pair; exactly one of <see cref="Value"/> and <see cref="ValueBytes"/> is set.</summary>
    public sealed record Entry(string Key, string? Value, byte[]? ValueBytes)
    {
        /// <summary>Whether the key ends in "-bin".</summary>
        public bool IsBinary => ValueBytes is not null;
    }

    internal const string BinarySuffix = "-bin";
    private readonly List<Entry> _entries = [];

    /// <summary>Number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds an ASCII value; the key must not end in "-bin".</summary>
    public Metadata Add(string key, string value)
    {
        key = CheckKey(key);
        if (key.EndsWith(BinarySuffix, StringComparison.Ordinal))
            throw new ArgumentException($"Key '{key}' ends in -bin: add a byte[] value.", nameof(key));
        foreach (var c in value)
            if (c < 0x20 || c > 0x7E)
                throw new ArgumentException($"Value of '{key}' must be printable ASCII (0x20-0x7E).", nameof(value));
        _entries.Add(new Entry(key, value, null));
        return this;
    }

    /// <summary>Adds a binary value; the key must end in "-bin".</summary>
    public Metadata Add(string key, byte[] value)
    {
        key = CheckKey(key);
        if (!key.EndsWith(BinarySuffix, StringComparison.Ordinal))
            throw new ArgumentException($"Key '{key}' must end in -bin for a byte[] value.", nameof(key));
        _entries.Add(new Entry(key, null, value));
        return this;
    }

    /// <summary>The last ASCII value of <paramref name="key"/>, or null.</summary>
    public string? GetValue(string key) => _entries.LastOrDefault(e => e.Key == key.ToLowerInvariant())?.Value;

    /// <summary>The last binary value of <paramref name="key"/>, or null.</summary>
    public byte[]? GetBytes(string key) => _entries.LastOrDefault(e => e.Key == key.ToLowerInvariant())?.ValueBytes;

    /// <inheritdoc/>
    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The header value on the wire: base64 without padding for -bin keys.</summary>
    internal static string ToWire(Entry entry) =>
        entry.ValueBytes is { } bytes ? Convert.ToBase64String(bytes).TrimEnd('=') : entry.Value!;

    /// <summary>Adds a received header; -bin values may arrive padded or not, and comma-joined.</summary>
    internal void AddWire(string key, string value)
    {
        key = key.ToLowerInvariant();
        if (!key.EndsWith(BinarySuffix, StringComparison.Ordinal))
        {
            _entries.Add(new Entry(key, value, null));
            return;
        }
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            var padded = part.PadRight(part.Length + (4 - part.Length % 4) % 4, '=');
            _entries.Add(new Entry(key, null, Convert.FromBase64String(padded)));
        }
    }

    /// <summary>Headers owned by the protocol, never exposed as custom metadata.</summary>
    internal static bool IsReserved(string key) =>
        key.StartsWith(':') || key is "content-type" or "te" or "host" or "user-agent" or "content-length"
            or "grpc-status" or "grpc-message" or "grpc-timeout" or "grpc-accept-encoding";

    private static string CheckKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        key = key.ToLowerInvariant();
        foreach (var c in key)
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.'))
                throw new ArgumentException($"Key '{key}' may hold only 0-9 a-z - _ . (PROTOCOL-HTTP2: Header-Name).", nameof(key));
        if (IsReserved(key))
            throw new ArgumentException($"Key '{key}' is reserved by the protocol.", nameof(key));
        return key;
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var e in _entries) text.Append(e.Key).Append('=').Append(ToWire(e)).Append(';');
        return text.ToString();
    }
}
