using WsssOnnx.Grpc;
using WsssOnnx.Imaging;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Server.Handlers;

/// <summary>
/// The gRPC status each failure gets (ARCHITECTURE.md "Service"): INVALID_ARGUMENT for bad images, classes and
/// parameters, NOT_FOUND for unknown models, FAILED_PRECONDITION for packages that do not load or lack a network,
/// RESOURCE_EXHAUSTED when admission refuses, UNAVAILABLE while shutting down. Anything else is a bug (INTERNAL).
/// </summary>
public static class ServiceErrors
{
    /// <summary>The status for <paramref name="error"/>, or null when it is a bug or a cancellation (the gRPC layer maps those).</summary>
    public static RpcException? ToRpc(Exception error) => error switch
    {
        RpcException rpc => rpc,
        AdmissionRejectedException { Reason: AdmissionRejection.QueueFull } e => new RpcException(GrpcStatusCode.ResourceExhausted, e.Message),
        AdmissionRejectedException e => new RpcException(GrpcStatusCode.Unavailable, e.Message),
        ModelNotFoundException e => new RpcException(GrpcStatusCode.NotFound, e.Message),
        ModelLoadFailedException e => new RpcException(GrpcStatusCode.FailedPrecondition, e.Message),
        ModelStateException e => new RpcException(GrpcStatusCode.FailedPrecondition, e.Message),
        ImageDecodeException e => new RpcException(GrpcStatusCode.InvalidArgument, $"image: {e.Message}"),
        UnknownClassException e => new RpcException(GrpcStatusCode.InvalidArgument, $"classes: {e.Message}"),
        _ => null,
    };

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
