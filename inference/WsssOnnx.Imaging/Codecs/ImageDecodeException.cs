namespace WsssOnnx.Imaging;

/// <summary>
/// An encoded image that could not be decoded. <see cref="Reason"/> says why; the message is one sentence naming the
/// format and, where a native codec refused the data, the library's own message.
/// </summary>
public sealed class ImageDecodeException : Exception
{
    public ImageDecodeException(ImageDecodeFailure reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    public ImageDecodeFailure Reason { get; }
}
