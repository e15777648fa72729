using WsssOnnx.Packages;

namespace WsssOnnx.Graph.Autodiff;

/// <summary>The matrix of 1-D linear interpolation with half-pixel centres, as ONNX Resize (mode linear) computes it.</summary>
internal static class LinearInterpolation
{
    /// <summary>
    /// R [output, input]: out[i] = sum_k R[i,k] in[k], with source coordinate x = (i + 0.5) * in / out - 0.5 clamped to
    /// [0, in - 1], and weights 1 - frac, frac on floor(x), floor(x) + 1.
    /// </summary>
    public static HostTensor<float> Matrix(int input, int output)
    {
        var r = new float[output * input];
        double scale = (double)output / input;
        for (int i = 0; i < output; i++)
        {
            double x = Math.Clamp((i + 0.5) / scale - 0.5, 0, input - 1);
            int x0 = (int)Math.Floor(x);
            int x1 = Math.Min(x0 + 1, input - 1);
            float frac = (float)(x - x0);
            r[i * input + x0] += 1f - frac;
            r[i * input + x1] += frac;
        }
        return new HostTensor<float>(r, output, input);
    }
}
