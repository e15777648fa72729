using WsssOnnx.Imaging;
using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Crf;

/// <summary>
/// Fully connected CRF with Gaussian edge potentials (Krähenbühl and Koltun 2011), mean-field inference as pydensecrf
/// (densecrf 2.x) runs it for IRN's <c>crf_inference_label</c>:
/// <code>
/// Q⁰ = softmax(−U);   Qᵗ⁺¹ = softmax(−U + Σ_k w_k · D_k^(−½) K_k D_k^(−½) Qᵗ),   labels = argmax_l Q^T
/// </code>
/// with k ∈ {smoothness (x, y)/θ_γ, appearance (x, y)/θ_α ⊕ RGB/θ_β}, K_k the Gaussian kernel matrix, D_k = K_k·1.
/// <para>
/// Potts: the pairwise energy Σ_k w_k Σ_{l′≠l} (K̃_k Q)(l′) equals w_k·(K̃_k 1) − w_k·(K̃_k Q)(l); the first term is
/// the same for every label of a pixel and cancels in the softmax, which leaves the +w·K̃Q above.
/// </para>
/// <para>
/// Normalisation and the self term: pydensecrf's default (NORMALIZE_SYMMETRIC) is the D^(−½) K D^(−½) above, with
/// the sums over j including j = i, because the lattice filter cannot leave the pixel out. The paper's Algorithm 1
/// excludes j = i instead (and has no normalisation, so its w is on another scale). We follow pydensecrf: the point is
/// to reproduce IRN's labels, and the compat weights 3 and 10 only mean what IRN means under its normalisation.
/// The self term is about 1/D_i of pixel i's message: for θ_γ = 3, 1/(2π·3²) ≈ 1.8% inside the image (≈ 7% in a
/// corner); for the appearance kernel less wherever a pixel has like-coloured pixels around it.
/// </para>
/// <para>
/// Filtering: both kernels use a permutohedral lattice (<see cref="PermutohedralLattice"/>; 2-D for smoothness, 5-D
/// for appearance), as pydensecrf does, built once per image and kernel and reused by every iteration; the kernel
/// normaliser D is the lattice's own filter of ones, so the approximation's overall gain cancels. For the 2-D kernel
/// an exact separable blur would be possible, but it costs ~4·θ_γ taps per axis where the lattice costs 3 vertices
/// per pixel, and would depart from the reference's approximation.
/// </para>
/// <para>Thread-safe: an instance holds only its options; every call builds its own lattices and buffers.</para>
/// </summary>
public sealed class DenseCrf
{
    /// <summary>pydensecrf's <c>unary_from_softmax</c> clips probabilities to [1e-5, 1] before −log.</summary>
    public const float ProbabilityFloor = 1e-5f;

    public DenseCrf() : this(new DenseCrfOptions()) { }

    public DenseCrf(DenseCrfOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    public DenseCrfOptions Options { get; }

    /// <summary>
    /// IRN's <c>crf_inference_label</c>: unary from <paramref name="labels"/> (values in [0, labelCount)) with
    /// <see cref="DenseCrfOptions.GroundTruthProbability"/>, mean field, argmax. <paramref name="cancellation"/> is
    /// checked between mean-field iterations and between the parallel chunks of every filtering pass.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired.</exception>
    public GrayImage InferLabels(RgbImage image, GrayImage labels, int labelCount, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(labels);
        RequireSameSize(image, labels.Width, labels.Height, nameof(labels));
        int stride = MeanField.Stride(labelCount);
        float[] negativeUnary = NegativeUnaryFromLabels(labels.Pixels, labelCount, Options.GroundTruthProbability, stride);
        float[] q = Run(image, negativeUnary, labelCount, stride, cancellation);
        return ArgmaxPixelMajor(q, labelCount, stride, image.Width, image.Height);
    }

    /// <summary>Mean-field marginals Q, shape [L, H, W], for unary energies <paramref name="unary"/> of shape [L, H, W].</summary>
    public HostTensor<float> Infer(RgbImage image, HostTensor<float> unary)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(unary);
        if (unary.Rank != 3)
            throw new ArgumentException($"unary energies must have shape [L, H, W]; got {unary}", nameof(unary));
        RequireSameSize(image, unary.Shape[2], unary.Shape[1], nameof(unary));
        int labelCount = checked((int)unary.Shape[0]);
        if (labelCount < 1) throw new ArgumentException("unary energies need at least one label", nameof(unary));
        int n = image.Width * image.Height, stride = MeanField.Stride(labelCount);

        var negativeUnary = new float[checked(n * stride)];
        float[] u = unary.Data;
        for (int l = 0; l < labelCount; l++)
            for (int i = 0; i < n; i++)
            {
                float value = u[l * n + i];
                if (!float.IsFinite(value))
                    throw new ArgumentException($"unary energy of label {l} at pixel {i} is {value}; energies must be finite", nameof(unary));
                negativeUnary[i * stride + l] = -value;
            }

        float[] q = Run(image, negativeUnary, labelCount, stride);
        var result = HostTensor<float>.Zeros(labelCount, image.Height, image.Width);
        for (int l = 0; l < labelCount; l++)
            for (int i = 0; i < n; i++)
                result.Data[l * n + i] = q[i * stride + l];
        return result;
    }

    /// <summary>
    /// pydensecrf's <c>unary_from_labels(labels, labelCount, gt_prob, zero_unsure=False)</c>, shape [L, H, W]: the
    /// observed label gets −log(gt_prob), every other −log((1 − gt_prob)/(L − 1)).
    /// </summary>
    public static HostTensor<float> UnaryFromLabels(GrayImage labels, int labelCount, float groundTruthProbability = 0.7f)
    {
        ArgumentNullException.ThrowIfNull(labels);
        (float observed, float other) = LabelEnergies(labelCount, groundTruthProbability);
        byte[] map = labels.Pixels;
        int n = map.Length;
        var unary = HostTensor<float>.Zeros(labelCount, labels.Height, labels.Width);
        for (int i = 0; i < n; i++)
        {
            int label = RequireLabel(map, i, labelCount);
            for (int l = 0; l < labelCount; l++)
                unary.Data[l * n + i] = l == label ? observed : other;
        }
        return unary;
    }

    /// <summary>
    /// Unary energies −log p from class probabilities of shape [L, H, W] (pydensecrf's <c>unary_from_softmax</c>:
    /// p clipped to [<see cref="ProbabilityFloor"/>, 1] first).
    /// </summary>
    public static HostTensor<float> UnaryFromProbabilities(HostTensor<float> probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        if (probabilities.Rank != 3)
            throw new ArgumentException($"probabilities must have shape [L, H, W]; got {probabilities}", nameof(probabilities));
        var unary = HostTensor<float>.Zeros(probabilities.Shape);
        float[] p = probabilities.Data;
        for (long i = 0; i < p.LongLength; i++)
        {
            if (float.IsNaN(p[i])) throw new ArgumentException($"probability {i} is NaN", nameof(probabilities));
            unary.Data[i] = -MathF.Log(Math.Clamp(p[i], ProbabilityFloor, 1f));
        }
        return unary;
    }

    /// <summary>Per-pixel argmax of Q [L, H, W] (ties: the lowest label, as numpy).</summary>
    public static GrayImage Argmax(HostTensor<float> q)
    {
        ArgumentNullException.ThrowIfNull(q);
        if (q.Rank != 3 || q.Shape[0] is < 1 or > 256)
            throw new ArgumentException($"marginals must have shape [L, H, W] with 1 <= L <= 256; got {q}", nameof(q));
        int labelCount = (int)q.Shape[0], height = checked((int)q.Shape[1]), width = checked((int)q.Shape[2]);
        int n = width * height;
        var result = new GrayImage(width, height);
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int l = 1; l < labelCount; l++)
                if (q.Data[l * n + i] > q.Data[best * n + i]) best = l;
            result.Pixels[i] = (byte)best;
        }
        return result;
    }

    /// <summary>
    /// Mean field on pixel-major −U (see <see cref="MeanField"/>); returns pixel-major Q. A 1024² image takes seconds
    /// per iteration, so <paramref name="cancellation"/> also goes into every parallel pass (checked between chunks).
    /// </summary>
    internal float[] Run(RgbImage image, float[] negativeUnary, int labelCount, int stride, CancellationToken cancellation = default)
    {
        DenseCrfOptions o = Options;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = o.MaxDegreeOfParallelism, CancellationToken = cancellation };
        var q = new float[negativeUnary.Length];
        MeanField.Softmax(negativeUnary, q, labelCount, stride, parallel);
        if (o.Iterations == 0) return q;

        var kernels = new List<(PermutohedralLattice Lattice, float[] Norm, float Compat)>(2);
        if (o.BilateralCompat > 0)
            kernels.Add(NormalisedKernel(CrfFeatures.Bilateral(image, o.BilateralSxy, o.BilateralSrgb), CrfFeatures.BilateralDimensions, o.BilateralCompat, parallel));
        if (o.GaussianCompat > 0)
            kernels.Add(NormalisedKernel(CrfFeatures.Gaussian(image.Width, image.Height, o.GaussianSxy), CrfFeatures.GaussianDimensions, o.GaussianCompat, parallel));

        var energy = new float[negativeUnary.Length];
        for (int t = 0; t < o.Iterations; t++)
        {
            cancellation.ThrowIfCancellationRequested();
            Array.Copy(negativeUnary, energy, energy.Length);
            foreach ((PermutohedralLattice lattice, float[] norm, float compat) in kernels)
                lattice.Filter(q, energy, stride, norm, compat, accumulate: true, parallel);
            MeanField.Softmax(energy, q, labelCount, stride, parallel);
        }
        return q;
    }

    private static (PermutohedralLattice, float[], float) NormalisedKernel(float[] features, int dimensions, float compat, ParallelOptions parallel)
    {
        PermutohedralLattice lattice = PermutohedralLattice.Build(features, dimensions, parallel);
        int n = lattice.PixelCount;
        var ones = new float[n];
        Array.Fill(ones, 1f);
        var mass = new float[n];
        lattice.Filter(ones, mass, 1, null, 1f, accumulate: false, parallel);
        var norm = new float[n];
        for (int i = 0; i < n; i++) norm[i] = 1f / MathF.Sqrt(mass[i] + 1e-20f);   // D^(−½); the self weight keeps D > 0
        return (lattice, norm, compat);
    }

    internal static float[] NegativeUnaryFromLabels(byte[] labels, int labelCount, float groundTruthProbability, int stride)
    {
        (float observed, float other) = LabelEnergies(labelCount, groundTruthProbability);
        var negativeUnary = new float[checked(labels.Length * stride)];
        for (int i = 0; i < labels.Length; i++)
        {
            int label = RequireLabel(labels, i, labelCount);
            Span<float> row = negativeUnary.AsSpan(i * stride, labelCount);
            row.Fill(-other);
            row[label] = -observed;
        }
        return negativeUnary;
    }

    internal static GrayImage ArgmaxPixelMajor(float[] q, int labelCount, int stride, int width, int height)
    {
        var result = new GrayImage(width, height);
        for (int i = 0; i < result.Pixels.Length; i++)
            result.Pixels[i] = (byte)MeanField.Argmax(q.AsSpan(i * stride, labelCount), labelCount);
        return result;
    }

    private static (float Observed, float Other) LabelEnergies(int labelCount, float groundTruthProbability)
    {
        if (labelCount is < 2 or > 256)
            throw new ArgumentOutOfRangeException(nameof(labelCount), labelCount, "a label-map unary needs 2 <= labelCount <= 256");
        if (!(groundTruthProbability > 0f && groundTruthProbability < 1f))
            throw new ArgumentOutOfRangeException(nameof(groundTruthProbability), groundTruthProbability, "gt_prob must be in (0, 1), exclusive");
        return (-MathF.Log(groundTruthProbability), -MathF.Log((1f - groundTruthProbability) / (labelCount - 1)));
    }

    private static int RequireLabel(byte[] labels, int i, int labelCount)
    {
        int label = labels[i];
        if (label >= labelCount)
            throw new ArgumentException($"label {label} at pixel {i} is outside [0, {labelCount}); CRF label maps hold compact class indices, no ignore value", nameof(labels));
        return label;
    }

    private static void RequireSameSize(RgbImage image, long width, long height, string name)
    {
        if (width != image.Width || height != image.Height)
            throw new ArgumentException($"{name} is {width}x{height} but the image is {image.Width}x{image.Height}", name);
    }
}
