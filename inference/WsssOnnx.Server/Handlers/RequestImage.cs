using Google.Protobuf;
using WsssOnnx.Imaging;

namespace WsssOnnx.Server.Handlers;

/// <summary>Decodes request images under the server's size limit, which is checked from the header before allocation.</summary>
public sealed class RequestImage(int maxSide)
{
    private readonly ImageDecoder _decoder = new(new ImageLimits { MaxWidth = maxSide, MaxHeight = maxSide, MaxPixels = (long)maxSide * maxSide });

    public int MaxSide { get; } = maxSide;

    /// <exception cref="Grpc.RpcException">INVALID_ARGUMENT: empty, unknown format, damaged or too large.</exception>
    public RgbImage Decode(ByteString bytes, string field = "image")
    {
        if (bytes.IsEmpty) throw ServiceErrors.InvalidArgument($"{field} is empty; send JPEG or PNG bytes");
        try
        {
            return _decoder.DecodeRgb(bytes.Span);
        }
        catch (ImageDecodeException e) when (e.Reason == ImageDecodeFailure.TooLarge)
        {
            throw ServiceErrors.InvalidArgument($"{field} is too large: {e.Message} (this server accepts a long side up to {MaxSide} pixels)");
        }
        catch (ImageDecodeException e)
        {
            throw ServiceErrors.InvalidArgument($"{field} cannot be decoded: {e.Message}");
        }
    }
}
