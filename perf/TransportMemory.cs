// Server memory under two hostile clients (issue 15 items 1 and 2), against a running `wsss serve`:
//   regenerate: a RegenerateLabels client that sends items and never reads a reply, for SECONDS;
//   partial:    30 streams (each on its own connection) that send half of a 16 MiB message and stall.
// Prints the server's RSS (from /proc/PID/status) every 5 s, and what each stream got.
// Usage: dotnet run perf/TransportMemory.cs -- regenerate|partial PORT SERVER_PID IMAGE.jpg [SECONDS]
using System.Buffers.Binary;
using System.Net;
using System.Text;

string mode = args[0];
int port = int.Parse(args[1]);
int pid = int.Parse(args[2]);
byte[] image = File.ReadAllBytes(args[3]);
int seconds = args.Length > 4 ? int.Parse(args[4]) : 60;
var clock = System.Diagnostics.Stopwatch.StartNew();

long RssKb() => long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:"))
    .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
void Sample(string note = "") => Console.WriteLine($"{clock.Elapsed.TotalSeconds,5:F0} s  server RSS {RssKb() / 1024.0,7:F1} MiB {note}");

HttpRequestMessage Post(string path, HttpContent body)
{
    body.Headers.TryAddWithoutValidation("content-type", "application/grpc");
    var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}{path}")
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Content = body,
    };
    request.Headers.TryAddWithoutValidation("te", "trailers");
    return request;
}

Sample("before");
if (mode == "regenerate")
{
    using var client = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
    var sent = new int[1];
    var body = new StreamingBody(async stream =>
    {
        // options {method: CAM, label: SEEDS, max_in_flight: 2}, then items {id, image, classes: ["disc"]}
        await stream.WriteAsync(Framed(Field(1, [0x10, 0x01, 0x20, 0x01, 0x30, 0x02])));
        for (int i = 0; ; i++)
        {
            byte[] item = [.. Field(1, Encoding.ASCII.GetBytes($"item{i}")), .. Field(2, image), .. Field(3, "disc"u8.ToArray())];
            await stream.WriteAsync(Framed(Field(2, item)));
            await stream.FlushAsync();
            sent[0] = i + 1;
        }
    });
    // The response headers come back, the body is never read.
    var response = client.SendAsync(Post("/wsss.v1.Attribution/RegenerateLabels", body), HttpCompletionOption.ResponseHeadersRead);
    for (int t = 5; t <= seconds; t += 5)
    {
        await Task.Delay(TimeSpan.FromSeconds(t) - clock.Elapsed);
        Sample($"items the client could send: {sent[0]}");
    }
}
else
{
    const int Streams = 30, Length = 16 * 1024 * 1024;
    var calls = Enumerable.Range(0, Streams).Select(async _ =>
    {
        using var client = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var prefix = new byte[5 + Length / 2];
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), Length);
        var body = new StreamingBody(async stream =>
        {
            await stream.WriteAsync(prefix);
            await stream.FlushAsync();
            await Task.Delay(Timeout.Infinite);
        });
        try
        {
            using var response = await client.SendAsync(Post("/wsss.v1.Segmentation/Segment", body), HttpCompletionOption.ResponseContentRead);
            var status = response.Headers.TryGetValues("grpc-status", out var h) ? h.First()
                : response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.First() : "none";
            return $"grpc-status {status} at {clock.Elapsed.TotalSeconds:F0} s";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name} at {clock.Elapsed.TotalSeconds:F0} s";
        }
    }).ToList();
    for (int t = 5; t <= seconds; t += 5)
    {
        await Task.Delay(TimeSpan.FromSeconds(t) - clock.Elapsed);
        Sample($"streams answered: {calls.Count(c => c.IsCompleted)}");
    }
    foreach (var group in calls.Where(c => c.IsCompleted).GroupBy(c => c.Result.Split(" at ")[0]))
        Console.WriteLine($"{group.Count()} streams: {group.Key} (first {group.First().Result.Split(" at ")[1]})");
}
return 0;

static byte[] Field(int number, byte[] value) => [.. Varint((uint)(number << 3 | 2)), .. Varint((uint)value.Length), .. value];

static byte[] Varint(uint value)
{
    var bytes = new List<byte>();
    for (; value >= 0x80; value >>= 7) bytes.Add((byte)(value | 0x80));
    bytes.Add((byte)value);
    return [.. bytes];
}

static byte[] Framed(byte[] message)
{
    var frame = new byte[5 + message.Length];
    BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
    message.CopyTo(frame, 5);
    return frame;
}

/// <summary>A request body written by a function, as long as it likes.</summary>
sealed class StreamingBody(Func<Stream, Task> write) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => write(stream);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
