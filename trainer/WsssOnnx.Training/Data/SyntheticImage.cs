using WsssOnnx.Imaging;

namespace WsssOnnx.Training.Data;

/// <summary>A rendered image with its label map and statistics.</summary>
internal sealed record SyntheticImage(RgbImage Image, GrayImage Labels, SyntheticImageStats Stats);
