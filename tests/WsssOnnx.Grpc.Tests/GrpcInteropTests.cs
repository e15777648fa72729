using System.Diagnostics;
using System.Text.Json;

namespace WsssOnnx.Grpc.Tests;

/// <summary>
/// Our server against the real grpc client (python3-grpcio, C core): interop/echo_interop.py prints one JSON line.
/// Fails, never skips, when /usr/bin/python3 or its grpc module is missing: scripts/setup.sh installs them.
/// </summary>
public sealed class GrpcInteropTests(EchoServer server) : IClassFixture<EchoServer>
{
    private const string Python = "/usr/bin/python3";

    /// <summary>Runs interop/<paramref name="script"/> against the server; its last stdout line, as JSON.</summary>
    private async Task<JsonElement> RunPythonAsync(string script)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "interop", script);
        Assert.True(File.Exists(Python), $"{Python} is missing: run scripts/setup.sh (Debian python3 with python3-grpcio).");
        var start = new ProcessStartInfo(Python, [path, server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { process.Kill(); throw new TimeoutException($"{script} ran over 60 s"); }
        }
        Assert.True(process.ExitCode == 0, $"{script} exited {process.ExitCode}: {await stderr}");
        var line = (await stdout).Trim().Split('\n')[^1];
        return JsonDocument.Parse(line).RootElement;
    }

    [Fact]
    public async Task Python_grpc_client_lists_and_calls_the_api_through_server_reflection()
    {
        var r = await RunPythonAsync("reflection_interop.py");
        foreach (var version in new[] { "v1", "v1alpha" })
        {
            var v = r.GetProperty(version);
            Assert.Equal(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "wsss.test.Echo"],
                v.GetProperty("services").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["grpc/health/v1/health.proto"], v.GetProperty("health_files").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["Check", "Watch"], v.GetProperty("health_methods").EnumerateArray().Select(e => e.GetString()));
            Assert.Contains("StringValue", v.GetProperty("wrappers_messages").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal((int)GrpcStatusCode.NotFound, v.GetProperty("unknown_error_code").GetInt32());
        }
        Assert.Equal("SERVING", r.GetProperty("called_health_check").GetString());
    }

    [Fact]
    public async Task Python_grpc_client_interoperates_with_our_server()
    {
        var r = await RunPythonAsync("echo_interop.py");

        Assert.Equal("hello ünïcode", r.GetProperty("unary").GetString());
        Assert.Equal("from python", r.GetProperty("unary_header").GetString());
        Assert.Equal([0, 255], r.GetProperty("unary_trailer_bin").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(1 << 20, r.GetProperty("unary_1mb").GetInt32());
        Assert.Equal(["0", "1", "2", "3", "4"], r.GetProperty("server_stream").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("abc", r.GetProperty("client_stream").GetString());
        Assert.Equal(["d0", "d1", "d2", "d3"], r.GetProperty("duplex").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("DEADLINE_EXCEEDED", r.GetProperty("deadline").GetString());
        Assert.Equal("CANCELLED", r.GetProperty("cancel").GetString());
        Assert.Equal("cancelled", await server.Echo.Probe("py-cancel").Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(["FAILED_PRECONDITION", "héllo ✓ 100%", "yes"], r.GetProperty("error").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("INTERNAL", r.GetProperty("crash").GetString());
        Assert.Equal("UNIMPLEMENTED", r.GetProperty("unknown_method").GetString());
        Assert.True(r.GetProperty("gzip_echo").GetBoolean());
        Assert.Equal("gzip", r.GetProperty("gzip_request_encoding").GetString());
        Assert.Equal(1, r.GetProperty("health_check").GetInt32()); // SERVING
        Assert.Equal("NOT_FOUND", r.GetProperty("health_unknown").GetString());
        Assert.Equal(1, r.GetProperty("health_watch_first").GetInt32());
    }
}
