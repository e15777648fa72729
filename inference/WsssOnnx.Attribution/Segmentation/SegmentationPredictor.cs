using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Attribution.Segmentation;

/// <summary>
/// Runs a segmenter (image -> class scores at stride 8, background first) and turns its scores into a label map:
/// bilinear upsampling (half-pixel) to the image size, then argmax over classes.
/// </summary>
public sealed class SegmentationPredictor(ModelSession segmenter, ImageNormalization normalization, IReadOnlyList<SessionInput>? extraInputs = null)
{
    /// <summary>Label map (0 = background, k = class k) of <paramref name="image"/>.</summary>
    public GrayImage Predict(RgbImage image, CancellationToken cancellation = default)
    {
        var scores = Scores(image, cancellation);
        return ArgMax(ImageResize.Resize(scores, image.Width, image.Height, Interpolation.Bilinear));
    }

    /// <summary>Raw scores [K, h, w] at the network's stride.</summary>
    public HostTensor<float> Scores(RgbImage image, CancellationToken cancellation = default)
    {
        using var input = SessionInput.Create(SegmenterContract.Image, ImageTensor.FromRgb(image, normalization));
        IReadOnlyList<SessionInput> inputs = extraInputs is null ? [input] : [input, .. extraInputs];
        using var result = segmenter.Run(inputs, [SegmenterContract.Scores], cancellation);
        var shape = result.Shape(SegmenterContract.Scores);
        return new HostTensor<float>(result.Span<float>(SegmenterContract.Scores).ToArray(), shape[1], shape[2], shape[3]);
    }

    /// <summary>Per-pixel argmax over the first axis of [K, H, W].</summary>
    public static GrayImage ArgMax(HostTensor<float> scores)
    {
        int k = (int)scores.Shape[0], h = (int)scores.Shape[1], w = (int)scores.Shape[2], plane = h * w;
        if (k > 255) throw new ArgumentException($"{k} classes do not fit an 8-bit label map");
        var labels = new GrayImage(w, h);
        var data = scores.Data;
        for (int i = 0; i < plane; i++)
        {
            int best = 0;
            float bestScore = data[i];
            for (int c = 1; c < k; c++)
            {
                float v = data[c * plane + i];
                if (v > bestScore)
                {
                    bestScore = v;
                    best = c;
                }
            }
            labels.Pixels[i] = (byte)best;
        }
        return labels;
    }
}
