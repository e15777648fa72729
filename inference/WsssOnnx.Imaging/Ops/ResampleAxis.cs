namespace WsssOnnx.Imaging;

/// <summary>
/// The taps of a 1-D half-pixel resampling from <c>inSize</c> to <c>outSize</c> samples: output o reads
/// input indices <c>Index[o * Taps + k]</c> with weights <c>Weight[o * Taps + k]</c>, k &lt; Taps, indices already
/// clamped to the border. Built once per axis, so the per-pixel loops only multiply and add.
/// </summary>
internal sealed class ResampleAxis
{
    // Keys' cubic convolution parameter, as in PyTorch (upsample_bicubic2d) and ONNX's default for Resize.
    private const double A = -0.75;

    private ResampleAxis(int outSize, int taps)
    {
        Taps = taps;
        Index = new int[outSize * taps];
        Weight = new float[outSize * taps];
    }

    public int Taps { get; }

    public int[] Index { get; }

    public float[] Weight { get; }

    public static ResampleAxis Create(int inSize, int outSize, Interpolation interpolation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outSize, 1);
        double scale = (double)inSize / outSize;
        bool cubic = interpolation == Interpolation.Bicubic;
        var axis = new ResampleAxis(outSize, cubic ? 4 : 2);
        for (int o = 0; o < outSize; o++)
        {
            // Half-pixel centres: x = (o + 0.5) · in/out − 0.5.
            double x = (o + 0.5) * scale - 0.5;
            if (cubic) axis.SetCubic(o, x, inSize);
            else axis.SetLinear(o, x, inSize);
        }
        return axis;
    }

    // Linear: x clamped at 0 (PyTorch's area_pixel_compute_source_index), i0 = ⌊x⌋ ≤ in − 1 since x < in − 0.5,
    // t = x − i0, weights (1 − t, t) on i0 and min(i0 + 1, in − 1).
    private void SetLinear(int o, double x, int inSize)
    {
        x = Math.Max(x, 0);
        int i0 = (int)x;
        double t = x - i0;
        Set(o, 0, i0, 1 - t, inSize);
        Set(o, 1, i0 + 1, t, inSize);
    }

    // Cubic: i0 = ⌊x⌋, t = x − i0, taps i0 − 1 … i0 + 2 with weights W(t + 1), W(t), W(1 − t), W(2 − t), where
    // W(d) = (a + 2)|d|³ − (a + 3)|d|² + 1 for |d| ≤ 1 and a|d|³ − 5a|d|² + 8a|d| − 4a for 1 < |d| < 2.
    private void SetCubic(int o, double x, int inSize)
    {
        int i0 = (int)Math.Floor(x);
        double t = x - i0;
        Set(o, 0, i0 - 1, Far(t + 1), inSize);
        Set(o, 1, i0, Near(t), inSize);
        Set(o, 2, i0 + 1, Near(1 - t), inSize);
        Set(o, 3, i0 + 2, Far(2 - t), inSize);
    }

    private static double Near(double d) => ((A + 2) * d - (A + 3)) * d * d + 1;

    private static double Far(double d) => ((A * d - 5 * A) * d + 8 * A) * d - 4 * A;

    private void Set(int o, int k, int index, double weight, int inSize)
    {
        Index[o * Taps + k] = Math.Clamp(index, 0, inSize - 1);
        Weight[o * Taps + k] = (float)weight;
    }
}
