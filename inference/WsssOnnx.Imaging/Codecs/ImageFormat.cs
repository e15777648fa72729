namespace WsssOnnx.Imaging;

/// <summary>An encoded image format, as recognised from its leading magic bytes.</summary>
public enum ImageFormat
{
    Unknown = 0,

    /// <summary>JPEG: starts with SOI and the next marker's fill byte, FF D8 FF.</summary>
    Jpeg,

    /// <summary>PNG: starts with the 8-byte signature 89 50 4E 47 0D 0A 1A 0A.</summary>
    Png,
}
