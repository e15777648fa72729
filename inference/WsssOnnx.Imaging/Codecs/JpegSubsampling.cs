namespace WsssOnnx.Imaging;

/// <summary>Chroma subsampling of an encoded JPEG (horizontal × vertical reduction of Cb and Cr).</summary>
public enum JpegSubsampling
{
    /// <summary>No subsampling: full-resolution chroma.</summary>
    Yuv444,

    /// <summary>Chroma halved horizontally.</summary>
    Yuv422,

    /// <summary>Chroma halved in both directions: libjpeg's and PIL's default.</summary>
    Yuv420,
}
