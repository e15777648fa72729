using Microsoft.Win32.SafeHandles;

namespace WsssOnnx.Imaging.Interop;

/// <summary>A libspng decoder or encoder context (spng_ctx*); released with spng_ctx_free.</summary>
internal sealed class SpngContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SpngContextHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        Spng.spng_ctx_free(handle);
        return true;
    }
}
