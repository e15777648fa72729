using System.Collections.Concurrent;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using WsssOnnx.Grpc.Server;

namespace WsssOnnx.Grpc.Tests;

/// <summary>
/// Test-only service "/wsss.test.Echo/*" on well-known types, so Python can call it without generated code.
/// Handlers that observe cancellation report it in <see cref="Observed"/>, keyed by the request header "x-probe"
/// ("ID:started" when Sleep begins, "ID" with how its call ended).
/// </summary>
internal sealed class EchoService
{
    private const string Service = "wsss.test.Echo";

    public static readonly GrpcMethod<StringValue, StringValue> Unary = new(GrpcMethodKind.Unary, Service, "Unary", StringValue.Parser, StringValue.Parser);
    public static readonly GrpcMethod<Int32Value, StringValue> ServerStream = new(GrpcMethodKind.ServerStreaming, Service, "ServerStream", Int32Value.Parser, StringValue.Parser);
    public static readonly GrpcMethod<StringValue, StringValue> ClientStream = new(GrpcMethodKind.ClientStreaming, Service, "ClientStream", StringValue.Parser, StringValue.Parser);
    public static readonly GrpcMethod<StringValue, StringValue> Duplex = new(GrpcMethodKind.DuplexStreaming, Service, "Duplex", StringValue.Parser, StringValue.Parser);
    /// <summary>Client streaming: takes the first message, reports "ID:held", waits for "ID:release", then reads the rest and answers the total length.</summary>
    public static readonly GrpcMethod<StringValue, StringValue> Hold = new(GrpcMethodKind.ClientStreaming, Service, "Hold", StringValue.Parser, StringValue.Parser);
    public static readonly GrpcMethod<Int32Value, Empty> Sleep = new(GrpcMethodKind.Unary, Service, "Sleep", Int32Value.Parser, Empty.Parser);
    public static readonly GrpcMethod<StringValue, Empty> Fail = new(GrpcMethodKind.Unary, Service, "Fail", StringValue.Parser, Empty.Parser);
    public static readonly GrpcMethod<StringValue, Empty> Crash = new(GrpcMethodKind.Unary, Service, "Crash", StringValue.Parser, Empty.Parser);
    public static readonly GrpcMethod<Int32Value, StringValue> Big = new(GrpcMethodKind.Unary, Service, "Big", Int32Value.Parser, StringValue.Parser);
    public static readonly GrpcMethod<Empty, StringValue> Encoding = new(GrpcMethodKind.Unary, Service, "Encoding", Empty.Parser, StringValue.Parser);
    public static readonly GrpcMethod<Empty, StringValue> Connection = new(GrpcMethodKind.Unary, Service, "Connection", Empty.Parser, StringValue.Parser);
    /// <summary>A method the server does not register.</summary>
    public static readonly GrpcMethod<Empty, Empty> Missing = new(GrpcMethodKind.Unary, Service, "Missing", Empty.Parser, Empty.Parser);

    public const string FailureTrailer = "x-failure";

    /// <summary>What a probed handler saw end its call: "deadline", "cancelled" or "completed".</summary>
    public ConcurrentDictionary<string, TaskCompletionSource<string>> Observed { get; } = new();

    public TaskCompletionSource<string> Probe(string id) => Observed.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    public GrpcServiceRouter AddTo(GrpcServiceRouter router) => router
        .AddUnary(Unary, async (request, context) =>
        {
            if (context.RequestHeaders.GetValue("x-echo") is { } echo)
                await context.WriteResponseHeadersAsync(new Metadata().Add("x-echo", echo));
            if (context.RequestHeaders.GetBytes("x-echo-bin") is { } bytes)
                context.ResponseTrailers.Add("x-echo-bin", bytes);
            return new StringValue { Value = request.Value };
        })
        .AddServerStreaming(ServerStream, async (request, writer, context) =>
        {
            // n < 0: stream until the client goes away.
            for (var i = 0; request.Value < 0 || i < request.Value; i++)
            {
                try
                {
                    await writer.WriteAsync(new StringValue { Value = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                    if (request.Value < 0) await Task.Delay(10, context.CancellationToken);
                }
                catch (Exception) when (context.CancellationToken.IsCancellationRequested)
                {
                    Report(context, "cancelled");
                    throw;
                }
            }
        })
        .AddClientStreaming(ClientStream, async (requests, context) =>
        {
            var text = new StringBuilder();
            await foreach (var request in requests) text.Append(request.Value);
            return new StringValue { Value = text.ToString() };
        })
        .AddClientStreaming(Hold, async (requests, context) =>
        {
            long length = 0;
            await foreach (var request in requests)
            {
                if (length == 0 && context.RequestHeaders.GetValue("x-probe") is { } id)
                {
                    Report(context, "held", ":held");
                    await Probe(id + ":release").Task.WaitAsync(context.CancellationToken);
                }
                length += request.Value.Length;
            }
            return new StringValue { Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        })
        .AddDuplex(Duplex, async (requests, writer, context) =>
        {
            await foreach (var request in requests) await writer.WriteAsync(new StringValue { Value = request.Value });
        })
        .AddUnary(Sleep, async (request, context) =>
        {
            Report(context, "started", ":started");
            try
            {
                await Task.Delay(request.Value, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                Report(context, context.HttpContext.RequestAborted.IsCancellationRequested ? "cancelled" : "deadline");
                throw;
            }
            Report(context, "completed");
            return new Empty();
        })
        .AddUnary(Fail, (request, context) =>
            throw new RpcException(GrpcStatusCode.FailedPrecondition, request.Value, new Metadata().Add(FailureTrailer, "yes")))
        .AddUnary(Crash, (request, context) => throw new InvalidOperationException("secret detail: " + request.Value))
        .AddUnary(Big, (request, context) => Task.FromResult(new StringValue { Value = new string('x', request.Value) }))
        .AddUnary(Encoding, (request, context) =>
            Task.FromResult(new StringValue { Value = context.HttpContext.Request.Headers["grpc-encoding"].ToString() }))
        .AddUnary(Connection, (request, context) => Task.FromResult(new StringValue { Value = context.HttpContext.Connection.Id }));

    private void Report(GrpcServerCallContext context, string outcome, string suffix = "")
    {
        if (context.RequestHeaders.GetValue("x-probe") is { } id) Probe(id + suffix).TrySetResult(outcome);
    }
}
