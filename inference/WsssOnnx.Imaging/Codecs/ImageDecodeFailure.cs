namespace WsssOnnx.Imaging;

/// <summary>Why an encoded image could not be decoded.</summary>
public enum ImageDecodeFailure
{
    /// <summary>No bytes at all.</summary>
    Empty,

    /// <summary>Neither a JPEG nor a PNG by its magic bytes (or not the format the call requires).</summary>
    UnknownFormat,

    /// <summary>The data ends before the image does: a valid beginning whose tail is missing.</summary>
    Truncated,

    /// <summary>The data is malformed: bad checksum, invalid header field, broken compressed stream, ...</summary>
    Corrupt,

    /// <summary>A valid image in a colour space or layout this decoder does not convert (an RGB PNG given as a label map).</summary>
    UnsupportedColorSpace,

    /// <summary>Width, height or pixel count exceeds the configured <see cref="ImageLimits"/> (checked before any pixel buffer is allocated).</summary>
    TooLarge,
}
