using System.Runtime.InteropServices;

namespace WsssOnnx.Imaging.Interop;

/// <summary>
/// P/Invoke declarations for the libspng 0.7 C API (libspng.so.0, Debian package libspng0).
/// Signatures, structs and constants follow spng.h of v0.7.3.
/// </summary>
internal static unsafe class Spng
{
    private const string Library = "libspng.so.0";

    /// <summary>enum spng_errno (the subset the codecs classify).</summary>
    internal static class Errno
    {
        internal const int IoEof = -1;
        internal const int Ok = 0;
        internal const int EMem = 2;
        internal const int EUserWidth = 7;
        internal const int EUserHeight = 8;
        internal const int EOf = 68;
        internal const int EChunkLimits = 77;
    }

    /// <summary>enum spng_color_type.</summary>
    internal enum ColorType : byte
    {
        Grayscale = 0,
        Truecolor = 2,
        Indexed = 3,
        GrayscaleAlpha = 4,
        TruecolorAlpha = 6,
    }

    /// <summary>enum spng_format: output (decode) or input (encode) pixel layout.</summary>
    internal enum Format
    {
        // 8-bit RGB converted from any colour type and bit depth.
        Rgb8 = 4,
        // The PNG's own layout (sub-byte samples packed, 16-bit host-endian), no conversion.
        Png = 256,
    }

    /// <summary>enum spng_ctx_flags.</summary>
    internal enum ContextFlags
    {
        Decoder = 0,
        Encoder = 2,
    }

    /// <summary>SPNG_ENCODE_FINALIZE (enum spng_encode_flags): write IEND after the image.</summary>
    internal const int EncodeFinalize = 2;

    /// <summary>enum spng_option (the one we set).</summary>
    internal enum Option
    {
        // Encode into a buffer libspng allocates, taken with spng_get_png_buffer.
        EncodeToBuffer = 12,
    }

    /// <summary>struct spng_ihdr (13 bytes of fields, 16 with C padding, the same as this sequential layout).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Ihdr
    {
        public uint Width;
        public uint Height;
        public byte BitDepth;
        public ColorType ColorType;
        public byte CompressionMethod;
        public byte FilterMethod;
        public byte InterlaceMethod;
    }

    /// <summary>struct spng_plte: entry count and 256 entries of (red, green, blue, reserved alpha).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Plte
    {
        public uint EntryCount;
        public fixed byte Entries[256 * 4];
    }

    [DllImport(Library)]
    private static extern SpngContextHandle spng_ctx_new(ContextFlags flags);

    [DllImport(Library)]
    internal static extern void spng_ctx_free(nint ctx);

    [DllImport(Library)]
    internal static extern int spng_set_png_buffer(SpngContextHandle ctx, byte* buf, nuint size);

    [DllImport(Library)]
    internal static extern int spng_set_image_limits(SpngContextHandle ctx, uint width, uint height);

    [DllImport(Library)]
    internal static extern int spng_set_chunk_limits(SpngContextHandle ctx, nuint chunkSize, nuint cacheSize);

    [DllImport(Library)]
    internal static extern int spng_set_option(SpngContextHandle ctx, Option option, int value);

    [DllImport(Library)]
    internal static extern int spng_get_ihdr(SpngContextHandle ctx, out Ihdr ihdr);

    [DllImport(Library)]
    internal static extern int spng_decoded_image_size(SpngContextHandle ctx, Format fmt, out nuint len);

    [DllImport(Library)]
    internal static extern int spng_decode_image(SpngContextHandle ctx, byte* output, nuint len, Format fmt, int flags);

    /// <summary>Reads the chunks after the image data up to IEND, so a file missing its tail is detected.</summary>
    [DllImport(Library)]
    internal static extern int spng_decode_chunks(SpngContextHandle ctx);

    [DllImport(Library)]
    internal static extern int spng_set_ihdr(SpngContextHandle ctx, ref Ihdr ihdr);

    [DllImport(Library)]
    internal static extern int spng_set_plte(SpngContextHandle ctx, ref Plte plte);

    [DllImport(Library)]
    internal static extern int spng_encode_image(SpngContextHandle ctx, byte* img, nuint len, Format fmt, int flags);

    /// <summary>The encoded PNG; ownership passes to the caller, who must release it with libc free.</summary>
    [DllImport(Library)]
    internal static extern byte* spng_get_png_buffer(SpngContextHandle ctx, out nuint len, out int error);

    // Returns a static string; never freed.
    [DllImport(Library)]
    private static extern nint spng_strerror(int err);

    /// <summary>
    /// The one status check for libspng calls: 0 is success; anything else throws <see cref="NativeCodecException"/>
    /// with the spng_errno and libspng's own message (spng_strerror).
    /// </summary>
    internal static void Check(int status, string function)
    {
        if (status == Errno.Ok) return;
        string message = Marshal.PtrToStringUTF8(spng_strerror(status)) ?? "unknown error";
        throw new NativeCodecException("libspng", function, status, message, warning: false);
    }

    /// <summary>Creates a decoder or encoder context; throws if libspng cannot allocate one.</summary>
    internal static SpngContextHandle CreateContext(ContextFlags flags)
    {
        SpngContextHandle ctx = spng_ctx_new(flags);
        if (!ctx.IsInvalid) return ctx;
        ctx.Dispose();
        throw new NativeCodecException("libspng", nameof(spng_ctx_new), Errno.EMem, "could not create a libspng context", warning: false);
    }
}
