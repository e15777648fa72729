using WsssOnnx.Imaging;

namespace WsssOnnx.Attribution.Crf;

/// <summary>
/// The reference for <see cref="DenseCrf"/>: the same mean field with the pairwise sums computed exactly,
/// K_ij = exp(−½‖f_i − f_j‖²) over all pairs (O(N²) time and memory; small images only), in double precision.
/// Same normalisation D^(−½) K D^(−½) with the self term included, same unary and softmax.
/// </summary>
internal static class NaiveDenseCrf
{
    public const int MaxPixels = 4096;

    /// <summary>Pixel-major Q after <see cref="DenseCrfOptions.Iterations"/> iterations, as <see cref="DenseCrf.Run"/>.</summary>
    public static float[] Run(RgbImage image, float[] negativeUnary, int labelCount, int stride, DenseCrfOptions options)
    {
        options.Validate();
        int n = image.Width * image.Height;
        if (n > MaxPixels) throw new ArgumentException($"the naive CRF is O(N^2); {n} pixels is more than {MaxPixels}", nameof(image));
        var sequential = new ParallelOptions { MaxDegreeOfParallelism = 1 };

        var q = new float[negativeUnary.Length];
        MeanField.Softmax(negativeUnary, q, labelCount, stride, sequential);

        var kernels = new List<(double[] K, double[] Norm, double Compat)>(2);
        if (options.BilateralCompat > 0)
            kernels.Add(Kernel(CrfFeatures.Bilateral(image, options.BilateralSxy, options.BilateralSrgb), CrfFeatures.BilateralDimensions, options.BilateralCompat));
        if (options.GaussianCompat > 0)
            kernels.Add(Kernel(CrfFeatures.Gaussian(image.Width, image.Height, options.GaussianSxy), CrfFeatures.GaussianDimensions, options.GaussianCompat));

        var energy = new float[negativeUnary.Length];
        var message = new double[labelCount];
        for (int t = 0; t < options.Iterations; t++)
        {
            Array.Copy(negativeUnary, energy, energy.Length);
            foreach ((double[] k, double[] norm, double compat) in kernels)
                for (int i = 0; i < n; i++)
                {
                    Array.Clear(message);
                    for (int j = 0; j < n; j++)
                    {
                        double w = k[(long)i * n + j] * norm[j];
                        for (int l = 0; l < labelCount; l++) message[l] += w * q[j * stride + l];
                    }
                    for (int l = 0; l < labelCount; l++) energy[i * stride + l] += (float)(compat * norm[i] * message[l]);
                }
            MeanField.Softmax(energy, q, labelCount, stride, sequential);
        }
        return q;
    }

    /// <summary>The exact kernel matrix and D^(−½).</summary>
    internal static (double[] K, double[] Norm, double Compat) Kernel(float[] features, int d, double compat)
    {
        int n = features.Length / d;
        var k = new double[(long)n * n];
        var norm = new double[n];
        for (int i = 0; i < n; i++)
        {
            double mass = 0;
            for (int j = 0; j < n; j++)
            {
                double squared = 0;
                for (int c = 0; c < d; c++)
                {
                    double delta = features[i * d + c] - features[j * d + c];
                    squared += delta * delta;
                }
                double value = Math.Exp(-0.5 * squared);
                k[(long)i * n + j] = value;
                mass += value;
            }
            norm[i] = 1 / Math.Sqrt(mass);
        }
        return (k, norm, compat);
    }
}
