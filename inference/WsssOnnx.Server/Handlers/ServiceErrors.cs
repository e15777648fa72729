using WsssOnnx.Attribution.Pipeline;
using WsssOnnx.Grpc;
using WsssOnnx.Imaging;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Server.Handlers;

/// <summary>
/// The gRPC status each failure gets (ARCHITECTURE.md "Service"): INVALID_ARGUMENT for bad images, classes and
/// parameters, NOT_FOUND for unknown models, FAILED_PRECONDITION for packages that do not load or lack a network,
/// RESOURCE_EXHAUSTED when admission refuses or a request's cost is over the limit, UNAVAILABLE while shutting down.
/// Anything else is a bug (INTERNAL). No message is longer than <see cref="ClientText.MaxMessageLength"/>.
/// </summary>
public static class ServiceErrors
{
    /// <summary>Trailers of a request refused for its cost: the computed and the allowed cost (clients do not retry it).</summary>
    public const string RequestCostTrailer = "wsss-request-cost";
    public const string MaxRequestCostTrailer = "wsss-max-request-cost";

    /// <summary>The status for <paramref name="error"/>, or null when it is a bug or a cancellation (the gRPC layer maps those).</summary>
    public static RpcException? ToRpc(Exception error) => Bounded(error switch
    {
        RpcException rpc => rpc,
        RequestTooCostlyException e => new RpcException(GrpcStatusCode.ResourceExhausted, e.Message, new Metadata()
            .Add(RequestCostTrailer, e.Cost.Total.ToString("R", System.Globalization.CultureInfo.InvariantCulture))
            .Add(MaxRequestCostTrailer, e.Limit.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
        AdmissionRejectedException { Reason: AdmissionRejection.QueueFull } e => new RpcException(GrpcStatusCode.ResourceExhausted, e.Message),
        AdmissionRejectedException e => new RpcException(GrpcStatusCode.Unavailable, e.Message),
        InvalidModelNameException e => new RpcException(GrpcStatusCode.InvalidArgument, e.Message),
        ModelNotFoundException e => new RpcException(GrpcStatusCode.NotFound, e.Message),
        ModelLoadFailedException e => new RpcException(GrpcStatusCode.FailedPrecondition, e.Message),
        ModelStateException e => new RpcException(GrpcStatusCode.FailedPrecondition, e.Message),
        ImageDecodeException e => new RpcException(GrpcStatusCode.InvalidArgument, $"image: {e.Message}"),
        UnknownClassException e => new RpcException(GrpcStatusCode.InvalidArgument,
            $"classes: unknown class \"{ClientText.Truncate(e.ClassName)}\"; {e.Package} knows {string.Join(", ", e.KnownClasses)}"),
        _ => null,
    });

    private static RpcException? Bounded(RpcException? rpc) =>
        rpc is null || rpc.Detail.Length <= ClientText.MaxMessageLength ? rpc
            : new RpcException(rpc.StatusCode, ClientText.Truncate(rpc.Detail, ClientText.MaxMessageLength), rpc.Trailers);

    /// <summary>Runs <paramref name="work"/> and rethrows known failures as their <see cref="RpcException"/>.</summary>
    public static async Task<T> Translate<T>(Func<Task<T>> work)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && ToRpc(e) is { } rpc && !ReferenceEquals(rpc, e))
        {
            throw rpc;
        }
    }

    public static RpcException InvalidArgument(string message) => new(GrpcStatusCode.InvalidArgument, message);
}
