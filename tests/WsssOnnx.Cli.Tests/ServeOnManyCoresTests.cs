namespace WsssOnnx.Cli.Tests;

/// <summary>`wsss serve` on a host with more cores than a stream may have items in flight.</summary>
public sealed class ServeOnManyCoresTests
{
    [Fact]
    public void Serve_starts_on_a_host_with_96_cores()
    {
        // Regression: the default items in flight per RegenerateLabels stream was the core count, over its limit of 64,
        // so start-up failed validation. DOTNET_PROCESSOR_COUNT makes .NET report 96 cores on this machine.
        using var server = new ServeProcess(new Dictionary<string, string> { ["DOTNET_PROCESSOR_COUNT"] = "96" }, "--concurrency", "2");
        var (code, log) = server.Stop();
        Assert.True(code == 0, log);
        Assert.Contains("Stopped", log);
    }
}
