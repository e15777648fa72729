using Google.Protobuf;
using WsssOnnx.Grpc;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Server;

namespace WsssOnnx.Cli.Remote;

/// <summary>`wsss attribute --server` and `wsss segment --server`: one unary call per image, retried on UNAVAILABLE.</summary>
internal static class RemoteCalls
{
    public static TimeSpan Timeout { get; } = TimeSpan.FromMinutes(10);

    public static AttributeResponse Attribute(string servers, int retries, AttributeRequest request)
    {
        using var pool = ServerPool.Parse(servers, retries);
        return Call(pool, () => pool.UnaryAsync(WsssApi.Attribute, request, Timeout, CancellationToken.None));
    }

    public static SegmentResponse Segment(ServerPool pool, SegmentRequest request) =>
        Call(pool, () => pool.UnaryAsync(WsssApi.Segment, request, Timeout, CancellationToken.None));

    private static T Call<T>(ServerPool pool, Func<Task<T>> call)
    {
        try
        {
            return call().GetAwaiter().GetResult();
        }
        catch (RpcException e)
        {
            throw new CommandFailedException(pool.Describe(e), e);
        }
    }

    /// <summary>Full-size float maps [K, H, W] from a reply's MAP_ENCODING_FLOAT32 maps.</summary>
    public static float[] Maps(AttributeResponse reply, int width, int height)
    {
        int plane = width * height;
        var maps = new float[reply.Maps.Count * plane];
        for (int k = 0; k < reply.Maps.Count; k++)
        {
            var bytes = reply.Maps[k].Float32.Span;
            if (bytes.Length != plane * sizeof(float))
                throw new CommandFailedException($"the server sent a {reply.Maps[k].Width}x{reply.Maps[k].Height} map for a {width}x{height} image.");
            for (int i = 0; i < plane; i++) maps[k * plane + i] = BitConverter.ToSingle(bytes.Slice(i * sizeof(float), sizeof(float)));
        }
        return maps;
    }

    public static ByteString Bytes(byte[] data) => ByteString.CopyFrom(data);
}
