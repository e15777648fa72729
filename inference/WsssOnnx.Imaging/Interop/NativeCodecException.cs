namespace WsssOnnx.Imaging.Interop;

/// <summary>
/// A failed call into libjpeg-turbo or libspng, carrying the library's own status code and message.
/// Internal: the codecs translate it into <see cref="ImageDecodeException"/> or <see cref="ImageEncodeException"/>.
/// </summary>
internal sealed class NativeCodecException(string library, string function, int status, string nativeMessage, bool warning)
    : Exception($"{library} {function} failed ({status}): {nativeMessage}")
{
    public string Library { get; } = library;

    public string Function { get; } = function;

    /// <summary>The library's status code (a libspng <c>spng_errno</c>; -1 for TurboJPEG).</summary>
    public int Status { get; } = status;

    /// <summary>The library's own message (spng_strerror or tjGetErrorStr2).</summary>
    public string NativeMessage { get; } = nativeMessage;

    /// <summary>True when TurboJPEG reported TJERR_WARNING: libjpeg recovered and produced output anyway.</summary>
    public bool IsWarning { get; } = warning;
}
