using System.Runtime.InteropServices;

namespace WsssOnnx.Imaging.Interop;

/// <summary>
/// P/Invoke declarations for the TurboJPEG 2.1 C API (libturbojpeg.so.0, Debian package libturbojpeg0).
/// Signatures and constants follow turbojpeg.h; <c>unsigned long</c> is 64-bit on LP64 Linux, hence <see cref="nuint"/>.
/// </summary>
internal static unsafe class TurboJpeg
{
    private const string Library = "libturbojpeg.so.0";

    /// <summary>enum TJPF: packed pixel formats.</summary>
    internal enum PixelFormat
    {
        Rgb = 0,
        Gray = 6,
        Cmyk = 11,
    }

    /// <summary>enum TJSAMP: chrominance subsampling.</summary>
    internal enum Subsampling
    {
        Yuv444 = 0,
        Yuv422 = 1,
        Yuv420 = 2,
        Gray = 3,
        Yuv440 = 4,
        Yuv411 = 5,
    }

    /// <summary>enum TJCS: colour space of a JPEG image.</summary>
    internal enum ColorSpace
    {
        Rgb = 0,
        YCbCr = 1,
        Gray = 2,
        Cmyk = 3,
        Ycck = 4,
    }

    /// <summary>enum TJERR: severity of the last error.</summary>
    internal enum ErrorCode
    {
        Warning = 0,
        Fatal = 1,
    }

    /// <summary>TJFLAG_*: bit flags for compression and decompression.</summary>
    [Flags]
    internal enum Flags
    {
        None = 0,
        // Compress into the caller's buffer, which must hold tjBufSize bytes.
        NoRealloc = 1024,
        Progressive = 16384,
        // Fails a progressive JPEG with more than 500 scans (a known decompression-time denial of service).
        LimitScans = 32768,
    }

    [DllImport(Library)]
    internal static extern TurboJpegHandle tjInitDecompress();

    [DllImport(Library)]
    internal static extern TurboJpegHandle tjInitCompress();

    [DllImport(Library)]
    internal static extern int tjDestroy(nint handle);

    [DllImport(Library)]
    internal static extern int tjDecompressHeader3(
        TurboJpegHandle handle, byte* jpegBuf, nuint jpegSize,
        out int width, out int height, out Subsampling jpegSubsamp, out ColorSpace jpegColorspace);

    [DllImport(Library)]
    internal static extern int tjDecompress2(
        TurboJpegHandle handle, byte* jpegBuf, nuint jpegSize, byte* dstBuf,
        int width, int pitch, int height, PixelFormat pixelFormat, Flags flags);

    [DllImport(Library)]
    internal static extern int tjCompress2(
        TurboJpegHandle handle, byte* srcBuf, int width, int pitch, int height, PixelFormat pixelFormat,
        byte** jpegBuf, nuint* jpegSize, Subsampling jpegSubsamp, int jpegQual, Flags flags);

    /// <summary>Worst-case size of a JPEG image of the given size and subsampling.</summary>
    [DllImport(Library)]
    internal static extern nuint tjBufSize(int width, int height, Subsampling jpegSubsamp);

    // Returns a pointer into the instance (or a thread-local buffer); never freed by the caller.
    [DllImport(Library)]
    private static extern nint tjGetErrorStr2(TurboJpegHandle handle);

    [DllImport(Library)]
    private static extern ErrorCode tjGetErrorCode(TurboJpegHandle handle);

    /// <summary>
    /// The one status check for TurboJPEG calls: 0 is success; -1 throws <see cref="NativeCodecException"/>
    /// with TurboJPEG's own message (tjGetErrorStr2) and whether it was only a warning (tjGetErrorCode == TJERR_WARNING).
    /// Must run on the calling thread right after the call: the message may live in thread-local storage.
    /// </summary>
    internal static void Check(int status, TurboJpegHandle handle, string function)
    {
        if (status == 0) return;
        bool warning = tjGetErrorCode(handle) == ErrorCode.Warning;
        string message = Marshal.PtrToStringUTF8(tjGetErrorStr2(handle)) ?? "unknown error";
        throw new NativeCodecException("libjpeg-turbo", function, status, message, warning);
    }

    /// <summary>Creates a decompressor; throws if TurboJPEG cannot allocate one.</summary>
    internal static TurboJpegHandle CreateDecompressor() => Created(tjInitDecompress(), nameof(tjInitDecompress));

    /// <summary>Creates a compressor; throws if TurboJPEG cannot allocate one.</summary>
    internal static TurboJpegHandle CreateCompressor() => Created(tjInitCompress(), nameof(tjInitCompress));

    private static TurboJpegHandle Created(TurboJpegHandle handle, string function)
    {
        if (!handle.IsInvalid) return handle;
        handle.Dispose();
        throw new NativeCodecException("libjpeg-turbo", function, -1, "could not create a TurboJPEG instance", warning: false);
    }
}
