namespace WsssOnnx.Imaging;

/// <summary>A native encoder (libspng or libjpeg-turbo) refused to encode an image; the message carries the library's own.</summary>
public sealed class ImageEncodeException : Exception
{
    public ImageEncodeException(string message, Exception? innerException = null) : base(message, innerException) { }
}
