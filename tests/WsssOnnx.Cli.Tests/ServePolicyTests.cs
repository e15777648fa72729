using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WsssOnnx.Cli.Tests;

/// <summary>
/// `wsss serve` configuration mistakes end in one sentence and exit 1 (a file) or 2 (an option value) before any model loads (the models folder here
/// does not exist, so a message about it means the TLS settings were accepted), and /metrics stays on loopback.
/// </summary>
public sealed class ServePolicyTests : IDisposable
{
    private const string Password = "right-password";
    private readonly string _folder = Directory.CreateTempSubdirectory("wsss-serve-").FullName;

    private string NoModels => Path.Combine(_folder, "no-models");

    private string Certificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string path = Path.Combine(_folder, "server.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, Password));
        return path;
    }

    private string SecretFile(string content)
    {
        string path = Path.Combine(_folder, Path.GetRandomFileName());
        File.WriteAllText(path, content + "\n");
        return path;
    }

    /// <summary>Exit <paramref name="expectedCode"/> (1: a file or the environment is wrong, 2: an option value is) and one line on stderr.</summary>
    private static void AssertOneSentence(int code, string stdout, string stderr, string expected, int expectedCode = 1)
    {
        Assert.Equal(expectedCode, code);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_missing_pfx_is_one_sentence_before_models_load()
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "serve", "--models", NoModels, "--port", "0", "--metrics-port", "-1",
            "--tls-cert", Path.Combine(_folder, "missing.pfx"));
        AssertOneSentence(code, stdout, stderr, "--tls-cert");
        Assert.Contains("does not exist", stderr);
    }

    [Fact]
    public void A_wrong_tls_password_from_a_file_or_the_environment_is_one_sentence_before_models_load()
    {
        string pfx = Certificate();
        string[] serve = ["serve", "--models", NoModels, "--port", "0", "--metrics-port", "-1", "--tls-cert", pfx];
        var fromFile = CliProcess.Run(CliProcess.BuildDirectory, [.. serve, "--tls-password-file", SecretFile("wrong")]);
        AssertOneSentence(fromFile.ExitCode, fromFile.Stdout, fromFile.Stderr, "password");
        var fromEnvironment = CliProcess.RunWith(new Dictionary<string, string> { ["WSSS_TLS_PASSWORD"] = "wrong" }, serve);
        AssertOneSentence(fromEnvironment.ExitCode, fromEnvironment.Stdout, fromEnvironment.Stderr, "password");

        // The right password, either way, gets past TLS to the (missing) models.
        var rightFile = CliProcess.Run(CliProcess.BuildDirectory, [.. serve, "--tls-password-file", SecretFile(Password)]);
        AssertOneSentence(rightFile.ExitCode, rightFile.Stdout, rightFile.Stderr, "cannot start");
        var rightEnvironment = CliProcess.RunWith(new Dictionary<string, string> { ["WSSS_TLS_PASSWORD"] = Password }, serve);
        AssertOneSentence(rightEnvironment.ExitCode, rightEnvironment.Stdout, rightEnvironment.Stderr, "cannot start");
    }

    [Theory]
    [InlineData("--max-request-cost", "10", "max request cost")]
    [InlineData("--metrics-host", "localhost", "--metrics-host")]
    public void Bad_policy_options_are_one_sentence(string option, string value, string expected)
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "serve", "--models", NoModels, "--port", "0", option, value);
        AssertOneSentence(code, stdout, stderr, expected, expectedCode: 2);
    }

    [Fact]
    public void An_admin_token_file_that_is_too_short_is_one_sentence()
    {
        var (code, stdout, stderr) = CliProcess.Run(CliProcess.BuildDirectory, "serve", "--models", NoModels, "--port", "0",
            "--admin-token-file", SecretFile("short"));
        AssertOneSentence(code, stdout, stderr, "admin token", expectedCode: 2);
        Assert.DoesNotContain("short", stderr);   // the token itself is never printed
    }

    [Fact]
    public void Metrics_listen_on_loopback_when_grpc_listens_on_every_interface()
    {
        using var server = new ServeProcess("--host", "0.0.0.0", "--metrics-port", "0");
        Assert.Contains("metrics on http://127.0.0.1:", server.ListeningLine);
        var (code, _) = server.Stop();
        Assert.Equal(0, code);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
