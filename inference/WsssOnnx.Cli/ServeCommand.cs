using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using WsssOnnx.Grpc.Server;
using WsssOnnx.Server;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Cli;

/// <summary>`wsss serve`: the gRPC service on the packages under --models until SIGINT or SIGTERM, then a graceful stop.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new ServiceOptions();
        var models = new Option<DirectoryInfo>("--models") { Description = "Model packages folder (<name>/<version>/manifest.json)", DefaultValueFactory = _ => new DirectoryInfo("models") };
        var model = new Option<string>("--model") { Description = "The package served by default; its newest version is activated at start", DefaultValueFactory = _ => defaults.DefaultModel };
        var host = new Option<string>("--host") { Description = "Address to listen on (0.0.0.0 for every interface)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "gRPC port (HTTP/2; h2c unless --tls-cert)", DefaultValueFactory = _ => 50051 };
        var metricsPort = new Option<int>("--metrics-port") { Description = "Port of the Prometheus /metrics endpoint (HTTP/1.1); -1 turns it off", DefaultValueFactory = _ => 9464 };
        var metricsHost = new Option<string>("--metrics-host")
        {
            Description = "Address /metrics listens on (loopback unless asked: 0.0.0.0 for every interface)",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests running at once", DefaultValueFactory = _ => defaults.ConcurrencyLimit };
        var queue = new Option<int>("--queue") { Description = "Requests waiting for a slot before RESOURCE_EXHAUSTED", DefaultValueFactory = _ => defaults.QueueCapacity };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads per request (0: one per core)", DefaultValueFactory = _ => defaults.IntraOpThreads };
        var maxSide = new Option<int>("--max-image-side") { Description = "Longest image side accepted, in pixels", DefaultValueFactory = _ => defaults.MaxImageSide };
        var noWatch = new Option<bool>("--no-watch") { Description = "Do not activate new versions that appear under --models" };
        var cert = new Option<FileInfo?>("--tls-cert") { Description = "PFX certificate: serve gRPC over TLS instead of h2c" };
        var certPassword = new Option<string?>("--tls-password")
        {
            Description = $"Password of --tls-cert (visible to other users in the process list: prefer --tls-password-file or {TlsPasswordVariable})",
        };
        var certPasswordFile = new Option<FileInfo?>("--tls-password-file") { Description = "File holding the password of --tls-cert (one line)" };
        var adminTokenFile = new Option<FileInfo?>("--admin-token-file") { Description = "File holding the bearer token ModelAdmin calls need (without it ModelAdmin answers loopback clients only)" };
        var maxCost = new Option<double>("--max-request-cost")
        {
            Description = "Largest work one request may ask for, in pixel-passes (docs/service.md: request cost)",
            DefaultValueFactory = _ => defaults.MaxRequestCost,
        };
        var memoryArena = new Option<bool>("--memory-arena") { Description = "Keep ONNX Runtime's CPU memory arena (faster, but holds the largest request's memory for good)" };
        var maxMessage = new Option<int>("--max-message-mb") { Description = "Largest request message, in MiB", DefaultValueFactory = _ => 16 };
        var gzip = new Option<bool>("--gzip-responses") { Description = "gzip response messages for clients that accept it (requests in gzip are always accepted)" };
        var grace = new Option<double>("--shutdown-grace")
        {
            Description = "Seconds health says NOT_SERVING (new calls UNAVAILABLE) before the server stops listening and drains",
            DefaultValueFactory = _ => defaults.ShutdownGrace.TotalSeconds,
        };
        var limits = new GrpcTransportLimits();
        var maxConnections = new Option<int>("--max-connections") { Description = "Connections at once; one more gets GOAWAY", DefaultValueFactory = _ => limits.MaxConnections };
        var maxStreams = new Option<int>("--max-streams") { Description = "Concurrent calls (HTTP/2 streams) per connection", DefaultValueFactory = _ => limits.MaxStreamsPerConnection };
        var streamWindow = new Option<int>("--stream-window-kb") { Description = "HTTP/2 flow-control window per stream, in KiB", DefaultValueFactory = _ => limits.InitialStreamWindowSize / 1024 };
        var connectionWindow = new Option<int>("--connection-window-kb")
        {
            Description = "HTTP/2 flow-control window per connection, in KiB",
            DefaultValueFactory = _ => limits.InitialConnectionWindowSize / 1024,
        };
        var incompletePerConnection = new Option<int>("--incomplete-mb-per-connection")
        {
            Description = "MiB of partly received messages one connection may hold",
            DefaultValueFactory = _ => (int)(limits.MaxIncompleteBytesPerConnection >> 20),
        };
        var incompletePerServer = new Option<int>("--incomplete-mb")
        {
            Description = "MiB of partly received messages the server may hold",
            DefaultValueFactory = _ => (int)(limits.MaxIncompleteBytesPerServer >> 20),
        };
        var messageIdle = new Option<double>("--message-idle-timeout")
        {
            Description = "Seconds a partly received message may go without data",
            DefaultValueFactory = _ => limits.IncompleteMessageIdleTimeout.TotalSeconds,
        };
        var messageRate = new Option<int>("--min-message-rate-kb")
        {
            Description = "Slowest average rate a message may arrive at, in KiB/s",
            DefaultValueFactory = _ => limits.MinMessageDataRate / 1024,
        };
        var logFormat = new Option<string>("--log-format") { Description = "simple or json (one JSON object per line)", DefaultValueFactory = _ => "simple" };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Trace, Debug, Information, Warning, Error", DefaultValueFactory = _ => LogLevel.Information };
        var command = new Command("serve", "Serve the wsss.v1 gRPC API and grpc.health.v1 on the model packages in --models")
        {
            models, model, host, port, metricsPort, metricsHost, concurrency, queue, threads, maxSide, noWatch, cert, certPassword, certPasswordFile,
            adminTokenFile, maxCost, memoryArena, maxMessage, gzip, grace,
            maxConnections, maxStreams, streamWindow, connectionWindow, incompletePerConnection, incompletePerServer, messageIdle, messageRate, logFormat, logLevel,
        };
        command.SetAction(result =>
        {
            if (!IPAddress.TryParse(result.GetValue(host), out var address)) throw new UsageException($"--host must be an IP address; got \"{result.GetValue(host)}\".");
            if (!IPAddress.TryParse(result.GetValue(metricsHost), out var metricsAddress))
                throw new UsageException($"--metrics-host must be an IP address; got \"{result.GetValue(metricsHost)}\".");
            int grpcPort = result.GetValue(port), httpPort = result.GetValue(metricsPort);
            if (grpcPort is < 0 or > 65535) throw new UsageException($"--port must be in [0, 65535]; got {grpcPort}.");
            if (httpPort is < -1 or > 65535) throw new UsageException($"--metrics-port must be in [-1, 65535]; got {httpPort}.");
            if (result.GetValue(maxMessage) is < 1 or > 1024) throw new UsageException($"--max-message-mb must be in [1, 1024]; got {result.GetValue(maxMessage)}.");
            string format = result.GetValue(logFormat)!;
            if (format is not ("simple" or "json")) throw new UsageException($"--log-format must be simple or json; got \"{format}\".");
            var options = new ServiceOptions
            {
                ModelsRoot = result.GetValue(models)!.FullName,
                DefaultModel = result.GetValue(model)!,
                ConcurrencyLimit = result.GetValue(concurrency),
                QueueCapacity = result.GetValue(queue),
                IntraOpThreads = result.GetValue(threads),
                MaxImageSide = result.GetValue(maxSide),
                WatchModels = !result.GetValue(noWatch),
                ShutdownGrace = TimeSpan.FromSeconds(Math.Clamp(result.GetValue(grace), -1, 1e6)),
                MaxRequestCost = result.GetValue(maxCost),
                MemoryArena = result.GetValue(memoryArena),
                AdminToken = result.GetValue(adminTokenFile) is { } tokenFile ? ReadSecret(tokenFile, "--admin-token-file") : null,
            };
            var transportLimits = new GrpcTransportLimits
            {
                MaxConnections = result.GetValue(maxConnections),
                MaxStreamsPerConnection = result.GetValue(maxStreams),
                InitialStreamWindowSize = (int)Math.Clamp(result.GetValue(streamWindow) * 1024L, 0, int.MaxValue),
                InitialConnectionWindowSize = (int)Math.Clamp(result.GetValue(connectionWindow) * 1024L, 0, int.MaxValue),
                MaxIncompleteBytesPerConnection = (long)result.GetValue(incompletePerConnection) << 20,
                MaxIncompleteBytesPerServer = (long)result.GetValue(incompletePerServer) << 20,
                IncompleteMessageIdleTimeout = TimeSpan.FromSeconds(Math.Clamp(result.GetValue(messageIdle), -1, 1e6)),
                MinMessageDataRate = (int)Math.Clamp(result.GetValue(messageRate) * 1024L, 0, int.MaxValue),
            };
            UsageException.Validated(() =>
            {
                options.Validate();
                transportLimits.Validate();
            });
            string? certificate = result.GetValue(cert)?.FullName;
            string? password = TlsPassword(result.GetValue(certPassword), result.GetValue(certPasswordFile));
            // Before any model loads: a TLS mistake is one sentence, not a stack trace after a minute of loading.
            if (certificate is not null) CheckCertificate(certificate, password);
            var hostOptions = new GrpcHostOptions
            {
                GrpcEndpoint = new IPEndPoint(address, grpcPort),
                HttpEndpoint = httpPort < 0 ? null : new IPEndPoint(metricsAddress, httpPort),
                CertificatePath = certificate,
                CertificatePassword = password,
                Limits = transportLimits,
                Server = new GrpcServerOptions { MaxReceiveMessageSize = result.GetValue(maxMessage) * 1024 * 1024, ResponseCompression = result.GetValue(gzip) },
            };
            return Run(options, hostOptions, format, result.GetValue(logLevel)).GetAwaiter().GetResult();
        });
        return command;
    }

    /// <summary>The environment variable `wsss serve` reads the PFX password from when no option gives it.</summary>
    public const string TlsPasswordVariable = "WSSS_TLS_PASSWORD";

    private static string? TlsPassword(string? onCommandLine, FileInfo? file)
    {
        if (onCommandLine is not null && file is not null) throw new UsageException("give --tls-password or --tls-password-file, not both.");
        if (file is not null) return ReadSecret(file, "--tls-password-file");
        return onCommandLine ?? Environment.GetEnvironmentVariable(TlsPasswordVariable);
    }

    /// <summary>A secret file's first line (a trailing newline is not part of the secret).</summary>
    private static string ReadSecret(FileInfo file, string option)
    {
        string text;
        try
        {
            text = File.ReadAllText(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"{option}: cannot read {file.FullName}: {e.Message}", e);
        }
        string secret = text.Split('\n')[0].TrimEnd('\r');
        if (secret.Length == 0) throw new CommandFailedException($"{option}: {file.FullName} is empty.");
        return secret;
    }

    /// <summary>Opens the PFX as Kestrel will, so a missing file, a wrong password or a certificate without its key fails here.</summary>
    private static void CheckCertificate(string path, string? password)
    {
        if (!File.Exists(path)) throw new CommandFailedException($"--tls-cert: {path} does not exist.");
        try
        {
            using var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
            if (!certificate.HasPrivateKey) throw new CommandFailedException($"--tls-cert: {path} holds no private key; a server certificate needs one.");
        }
        catch (CryptographicException e)
        {
            throw new CommandFailedException($"--tls-cert: cannot open {path} ({e.Message.TrimEnd('.')}); is the password right (--tls-password-file, {TlsPasswordVariable})?", e);
        }
    }

    private static async Task<int> Run(ServiceOptions options, GrpcHostOptions hostOptions, string logFormat, LogLevel level)
    {
        void Logging(ILoggingBuilder logging)
        {
            logging.SetMinimumLevel(level);
            if (logFormat == "json")
                logging.AddJsonConsole(o => { o.IncludeScopes = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; o.UseUtcTimestamp = true; });
            else
                logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        }

        using var stop = new SignalCancellation(PosixSignal.SIGINT, PosixSignal.SIGTERM);
        GlibcAllocator.LimitArenas();

        WsssServer server;
        try
        {
            server = await WsssServer.StartAsync(options, hostOptions, Logging, stop.Token);
        }
        catch (Exception e) when (e is ModelNotFoundException or ModelLoadFailedException)
        {
            throw new CommandFailedException($"cannot start: {e.Message}", e);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("wsss serve: stopped by a signal before it started listening.");
            return ExitCodes.Interrupted;
        }
        catch (IOException e)
        {
            throw new CommandFailedException($"cannot listen on {hostOptions.GrpcEndpoint}: {e.Message}", e);
        }
        await using (server)
        {
            // One machine-readable line for scripts and tests: where the service listens.
            Console.WriteLine($"wsss serve: listening on {hostOptions.GrpcEndpoint.Address}:{server.GrpcPort}" +
                (server.MetricsPort is int m ? $", metrics on http://{hostOptions.HttpEndpoint!.Address}:{m}/metrics" : ""));
            var release = IdleMemoryRelease.RunAsync(
                () => server.Admission.Completed + server.TransportRefusals,
                () => server.Admission.Running + server.Admission.Queued > 0,
                TimeSpan.FromSeconds(1),
                stop.Token);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
            await release;
            await server.StopAsync();
        }
        return ExitCodes.Ok;
    }
}
