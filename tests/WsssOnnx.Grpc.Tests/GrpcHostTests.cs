using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WsssOnnx.Grpc.Client;
using WsssOnnx.Grpc.Server;

namespace WsssOnnx.Grpc.Tests;

/// <summary>Hosting: a separate HTTP/1.1 endpoint beside the gRPC one, and TLS.</summary>
public sealed class GrpcHostTests
{
    private static readonly GrpcServiceRouter Router = new EchoService().AddTo(new GrpcServiceRouter());

    [Fact]
    public async Task Http_endpoint_serves_mapped_routes_and_the_grpc_endpoint_serves_grpc_only()
    {
        var options = new GrpcHostOptions
        {
            GrpcEndpoint = new IPEndPoint(IPAddress.Loopback, 0),
            HttpEndpoint = new IPEndPoint(IPAddress.Loopback, 0),
        };
        await using var host = await GrpcHost.StartAsync(Router, options, b => b.Logging.ClearProviders(),
            app => app.MapGet("/metrics", () => Results.Text("requests_total 1\n")));
        Assert.NotEqual(host.GrpcPort, host.HttpPort);

        using var http = new HttpClient();
        Assert.Equal("requests_total 1\n", await http.GetStringAsync($"http://127.0.0.1:{host.HttpPort}/metrics"));

        using var channel = new GrpcClientChannel($"http://127.0.0.1:{host.GrpcPort}");
        Assert.Equal("grpc", (await channel.UnaryAsync(EchoService.Unary, new StringValue { Value = "grpc" })).Value);

        // HTTP/2 by prior knowledge to the metrics route on the gRPC port is a gRPC request with the wrong content type.
        var onGrpcPort = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{host.GrpcPort}/metrics")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.SendAsync(onGrpcPort)).StatusCode);
    }

    [Fact]
    public async Task Grpc_over_tls_works_with_a_pfx_certificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(Path.GetTempPath(), $"wsss-grpc-{Guid.NewGuid():N}.pfx");
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "test"));
        try
        {
            var options = new GrpcHostOptions { GrpcEndpoint = new IPEndPoint(IPAddress.Loopback, 0), CertificatePath = path, CertificatePassword = "test" };
            await using var host = await GrpcHost.StartAsync(Router, options, b => b.Logging.ClearProviders());
            var handler = new SocketsHttpHandler();
            // Test-only trust: the one certificate we just made.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString();
            using var channel = new GrpcClientChannel($"https://127.0.0.1:{host.GrpcPort}", new GrpcClientOptions { Handler = handler });
            Assert.Equal("tls", (await channel.UnaryAsync(EchoService.Unary, new StringValue { Value = "tls" })).Value);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
