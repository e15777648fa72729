using WsssOnnx.Imaging;
using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Climbing;

/// <summary>The climbing batch x_0 [2P, 3, H, W]: copy 2p is the normalised image, copy 2p + 1 its horizontal flip, for every pair p.</summary>
internal static class PairBatch
{
    public static HostTensor<float> Create(RgbImage image, ImageNormalization normalization, int pairs)
    {
        var x = ImageTensor.FromRgb(image, normalization).Data;
        var flipped = ImageTensor.FromRgb(ImageFlip.FlipHorizontal(image), normalization).Data;
        var batch = new float[checked(2L * pairs * x.Length)];
        for (int p = 0; p < pairs; p++)
        {
            x.CopyTo(batch, 2L * p * x.Length);
            flipped.CopyTo(batch, (2L * p + 1) * x.Length);
        }
        return new HostTensor<float>(batch, 2L * pairs, 3, image.Height, image.Width);
    }
}
