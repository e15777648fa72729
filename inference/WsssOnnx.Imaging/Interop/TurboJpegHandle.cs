using Microsoft.Win32.SafeHandles;

namespace WsssOnnx.Imaging.Interop;

/// <summary>A TurboJPEG compressor or decompressor instance (tjhandle); released with tjDestroy.</summary>
internal sealed class TurboJpegHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public TurboJpegHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle() => TurboJpeg.tjDestroy(handle) == 0;
}
