using System.Net;
using System.Security.Cryptography;
using System.Text;
using WsssOnnx.Grpc;
using WsssOnnx.Grpc.Server;

namespace WsssOnnx.Server.Handlers;

/// <summary>
/// Who may call wsss.v1.ModelAdmin (load, activate, unload: what changes the served model). With a token
/// (<see cref="ServiceOptions.AdminToken"/>, `wsss serve --admin-token-file`) every admin call needs
/// `authorization: Bearer &lt;token&gt;`, else UNAUTHENTICATED; without one, admin calls are served to loopback peers only
/// (PERMISSION_DENIED otherwise), so a server on 0.0.0.0 without a token is not administrable from the network.
/// </summary>
public sealed class AdminAccess(string? token)
{
    private readonly byte[]? _token = token is null ? null : Encoding.UTF8.GetBytes(token);

    /// <exception cref="RpcException">UNAUTHENTICATED or PERMISSION_DENIED.</exception>
    public void Check(GrpcServerCallContext context)
    {
        if (_token is null)
        {
            if (context.HttpContext.Connection.RemoteIpAddress is { } peer && IPAddress.IsLoopback(peer)) return;
            throw new RpcException(GrpcStatusCode.PermissionDenied,
                "ModelAdmin is served to loopback clients only: this server has no admin token (wsss serve --admin-token-file)");
        }
        string? header = context.RequestHeaders.GetValue("authorization");
        const string scheme = "Bearer ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            throw new RpcException(GrpcStatusCode.Unauthenticated, "ModelAdmin needs the header 'authorization: Bearer <admin token>'");
        // Constant time in the token's content, so a wrong token's timing says nothing about the right one.
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), _token))
            throw new RpcException(GrpcStatusCode.Unauthenticated, "the admin token is wrong");
    }
}
