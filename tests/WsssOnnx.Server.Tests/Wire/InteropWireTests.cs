using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace WsssOnnx.Server.Tests.Wire;

/// <summary>
/// The service against an independent client: python3-grpcio (C core) with messages from a protoc descriptor set
/// (interop/wsss_interop.py, wsss_v1.desc made by the build). Fails, never skips, when /usr/bin/python3 or its grpc
/// module is missing: scripts/setup.sh installs them.
/// </summary>
[Collection(WireCollection.Name)]
public sealed class InteropWireTests(WireFixture fixture, ITestOutputHelper output) : IClassFixture<WireFixture>
{
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Python_grpc_client_calls_every_rpc_with_streaming_deadlines_and_cancellation()
    {
        var wire = fixture.Wire;
        string folder = Path.Combine(AppContext.BaseDirectory, "interop");
        string descriptors = Path.Combine(folder, "wsss_v1.desc");
        Assert.True(File.Exists(Python), $"{Python} is missing: run scripts/setup.sh (Debian python3 with python3-grpcio).");
        Assert.True(File.Exists(descriptors), $"{descriptors} is missing: the test project's build makes it with protoc.");
        string image = Path.Combine(wire.Models.Root, "sample.jpg");
        await File.WriteAllBytesAsync(image, WireServer.Sample.Jpeg);
        string className = WireServer.Sample.Classes[0];

        var r = await RunScript(Path.Combine(folder, "wsss_interop.py"), wire.Server.GrpcPort.ToString(CultureInfo.InvariantCulture), descriptors, image, className);

        Assert.Equal(1, r.GetProperty("health").GetInt32()); // SERVING
        Assert.Equal(1, r.GetProperty("health_attribution").GetInt32());
        Assert.Equal(1, r.GetProperty("health_watch_first").GetInt32());

        var segment = r.GetProperty("segment");
        Assert.Equal((160, 160, 160 * 160, true, "2"), (segment.GetProperty("width").GetInt32(), segment.GetProperty("height").GetInt32(),
            segment.GetProperty("raw").GetInt32(), segment.GetProperty("png").GetBoolean(), segment.GetProperty("version").GetString()));

        var cam = r.GetProperty("cam");
        var camMap = Assert.Single(cam.GetProperty("maps").EnumerateArray().ToList());
        Assert.Equal($"[\"{className}\",160,160,true]", JsonSerializer.Serialize(camMap));
        Assert.Equal(1, cam.GetProperty("steps").GetInt32());
        Assert.Equal("160,160", string.Join(",", cam.GetProperty("seeds").EnumerateArray().Select(e => e.GetInt32())));
        Assert.Equal("2", cam.GetProperty("version").GetString());

        var adv = r.GetProperty("advcam");
        var advMap = Assert.Single(adv.GetProperty("maps").EnumerateArray().ToList());
        Assert.Equal($"[\"{className}\",160,160,{160 * 160 * 4}]", JsonSerializer.Serialize(advMap));
        Assert.Equal(2, adv.GetProperty("steps").GetInt32());
        Assert.Equal([1.0], adv.GetProperty("scales").EnumerateArray().Select(e => e.GetDouble()));
        Assert.False(adv.GetProperty("crf").GetBoolean());

        var stream = r.GetProperty("stream");
        Assert.Equal(["a", "b", "bad", "c"], stream.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (string id in (string[])["a", "b", "c"])
        {
            var item = stream.GetProperty(id);
            Assert.Equal((160, 160, true, "2"), (item.GetProperty("width").GetInt32(), item.GetProperty("height").GetInt32(),
                item.GetProperty("png").GetBoolean(), item.GetProperty("version").GetString()));
        }
        Assert.Equal(3, stream.GetProperty("bad").GetProperty("code").GetInt32()); // INVALID_ARGUMENT for that item only
        Assert.StartsWith("image", stream.GetProperty("bad").GetProperty("message").GetString());

        Assert.Equal("1,MODEL_STATE_AVAILABLE;2,MODEL_STATE_ACTIVE",
            string.Join(";", r.GetProperty("list").EnumerateArray().Select(v => string.Join(",", v.EnumerateArray().Select(e => e.GetString())))));
        Assert.Equal("MODEL_STATE_LOADED", r.GetProperty("load").GetString());
        Assert.Equal("MODEL_STATE_AVAILABLE", r.GetProperty("unload").GetString());
        Assert.Equal("MODEL_STATE_ACTIVE", r.GetProperty("activate").GetString());
        Assert.Equal("1", r.GetProperty("served_after_activate").GetString());
        Assert.Equal("FAILED_PRECONDITION", r.GetProperty("unload_active").GetString());
        var status = r.GetProperty("status");
        Assert.Equal("default,2", string.Join(";", status.GetProperty("active").EnumerateArray().Select(a => string.Join(",", a.EnumerateArray().Select(e => e.GetString())))));
        Assert.Equal(2, status.GetProperty("limit").GetInt32());
        Assert.False(string.IsNullOrEmpty(status.GetProperty("ort").GetString()));

        Assert.Equal("DEADLINE_EXCEEDED", r.GetProperty("deadline").GetString());
        Assert.InRange(r.GetProperty("deadline_s").GetDouble(), 0.9, 5.0);
        Assert.True(r.GetProperty("cancel_accepted").GetBoolean(), "the Attribute was still running when cancelled");
        Assert.Equal("CANCELLED", r.GetProperty("cancel").GetString());
        Assert.Equal(0, r.GetProperty("running_after_cancel").GetInt32());
        Assert.InRange(r.GetProperty("cancel_stopped_s").GetDouble(), 0, 3.0);

        Assert.Equal("INVALID_ARGUMENT", r.GetProperty("unknown_class")[0].GetString());
        Assert.Contains("unicorn", r.GetProperty("unknown_class")[1].GetString());
        Assert.Equal("NOT_FOUND", r.GetProperty("unknown_model")[0].GetString());
        Assert.Contains("nope", r.GetProperty("unknown_model")[1].GetString());
        Assert.Equal("2", r.GetProperty("after_errors").GetString());
    }

    private async Task<JsonElement> RunScript(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(Python, [script, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"{Path.GetFileName(script)} ran over {ScriptTimeout.TotalSeconds} s: {await stderr}");
        }
        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(script)} exited {process.ExitCode}: {await stderr}");
        string line = (await stdout).Trim().Split('\n')[^1];
        output.WriteLine(line);
        return JsonDocument.Parse(line).RootElement;
    }
}
