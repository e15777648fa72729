namespace WsssOnnx.Imaging;

/// <summary>
/// Resampling kernel of <see cref="ImageResize"/>. Both use half-pixel centres: output index o samples input coordinate
/// (o + 0.5) · in/out − 0.5 (PyTorch F.interpolate align_corners=False; ONNX Resize coordinate_transformation_mode=half_pixel),
/// taps beyond the border repeat the edge sample, and there is no antialiasing (PyTorch's default antialias=False).
/// </summary>
public enum Interpolation
{
    /// <summary>Linear in x and y over the 2 × 2 nearest samples (PyTorch mode="bilinear"; ONNX mode="linear").</summary>
    Bilinear,

    /// <summary>
    /// Keys cubic convolution with a = −0.75 over 4 × 4 samples (PyTorch mode="bicubic"; ONNX mode="cubic",
    /// cubic_coeff_a=−0.75, exclude_outside=0). It overshoots: 8-bit results are rounded and clamped to 0–255, float results are not clamped.
    /// </summary>
    Bicubic,
}
