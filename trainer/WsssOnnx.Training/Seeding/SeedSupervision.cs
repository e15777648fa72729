using System.Diagnostics;
using WsssOnnx.Attribution.Crf;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Imaging;
using WsssOnnx.Packages;
using WsssOnnx.Runtime;
using WsssOnnx.Training.Loop;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Training.Seeding;

/// <summary>
/// The per-step targets of SEC and DSRG, computed on the CPU between a forward pass and the training step: a
/// forward-only graph (the segmenter and the floored softmax, parameters bound to the trainer's buffers) gives P for the
/// batch; per image, in parallel, the dense CRF turns P into the marginals Q (the constrain loss's target), and the
/// seeds are taken to the score map's resolution and, for DSRG, grown on Q (its code grows on the CRF-refined
/// probabilities). The training graph then gets Q and the seed labels as inputs; no gradient flows into them, as in
/// both papers' code. The forward is paid twice (once here, once in the training graph): ORT keeps no activations
/// between runs, and the alternative, feeding the previous step's P, would give targets for other images.
/// </summary>
internal sealed class SeedSupervision : IDisposable
{
    private readonly SegmenterLossOptions _loss;
    private readonly DeepLabOptions _network;
    private readonly ImageNormalization _normalization;
    private readonly int _threads;
    private readonly HostTensor<float> _images;
    private readonly HostTensor<long> _cropLabels;
    private readonly HostTensor<float> _imageLabels;
    private readonly DenseCrf _crf;
    private readonly int _warmupSteps;
    private ParameterBoundSession? _forward;
    private SessionInput? _imageInput;

    public SeedSupervision(SegmenterLossOptions loss, DeepLabOptions network, ImageNormalization normalization, int threads,
        HostTensor<float> images, HostTensor<long> cropLabels, HostTensor<float> imageLabels, long scoreHeight, long scoreWidth, int warmupSteps = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        _warmupSteps = warmupSteps;
        _loss = loss;
        _network = network;
        _normalization = normalization;
        _threads = threads;
        _images = images;
        _cropLabels = cropLabels;
        _imageLabels = imageLabels;
        _crf = new DenseCrf(loss.Crf);
        long batch = images.Shape[0];
        SeedLabels = HostTensor<long>.Zeros(batch, scoreHeight, scoreWidth);
        CrfTarget = HostTensor<float>.Zeros(batch, network.Classes, scoreHeight, scoreWidth);
    }

    /// <summary>The seed labels at the score map's resolution (DSRG: grown), [N, h, w], 255 where none.</summary>
    public HostTensor<long> SeedLabels { get; }

    /// <summary>Q: the CRF marginals of P, floored at 1e-4 and renormalised as both papers' code does, [N, K, h, w].</summary>
    public HostTensor<float> CrfTarget { get; }

    /// <summary>
    /// w, the weight of the terms beyond the seeding loss (SEC's expansion and constrain, DSRG's constrain) at this step,
    /// [1]: w = min(1, t / T) at global step t with T warm-up steps (1 throughout when T = 0).
    /// </summary>
    public HostTensor<float> WarmupWeight { get; } = new([1f], 1);

    public TimeSpan ForwardTime { get; private set; }

    public TimeSpan TargetTime { get; private set; }

    public int Steps { get; private set; }

    /// <summary>The forward-only graph: images [N, 3, crop, crop] to P [N, K, h, w].</summary>
    public static GraphBuilder ForwardGraph(DeepLabOptions network, long[] imageShape)
    {
        var g = new GraphBuilder("segmenter_probabilities");
        var image = g.Input("image", DataType.Float, imageShape);
        var net = DeepLabSegmenter.Build(g, image, network);
        g.Output(SeedLosses.Probabilities(g, net.Scores), "probabilities");
        return g;
    }

    /// <summary>
    /// Fills <see cref="SeedLabels"/> and <see cref="CrfTarget"/> for the batch in the bound buffers and the current
    /// parameters, and <see cref="WarmupWeight"/> for global step <paramref name="step"/>.
    /// </summary>
    public void Compute(ParameterStore parameters, int step)
    {
        WarmupWeight.Data[0] = _warmupSteps == 0 ? 1f : Math.Min(1f, (float)step / _warmupSteps);
        // Built at the first step: a resumed run has replaced the parameter buffers by then.
        if (_forward is null)
        {
            _forward = new ParameterBoundSession(ForwardGraph(_network, _images.Shape), parameters, _threads);
            _imageInput = SessionInput.Create("image", _images);
        }
        var watch = Stopwatch.StartNew();
        float[] p;
        using (var result = _forward.Session.Run([_imageInput!, .. _forward.ParameterInputs], ["probabilities"]))
            p = result.Span<float>("probabilities").ToArray();
        ForwardTime += watch.Elapsed;
        watch.Restart();
        int batch = (int)_images.Shape[0];
        Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, n => ComputeImage(p, n));
        TargetTime += watch.Elapsed;
        Steps++;
    }

    private void ComputeImage(float[] probabilities, int n)
    {
        int classes = (int)CrfTarget.Shape[1], h = (int)CrfTarget.Shape[2], w = (int)CrfTarget.Shape[3];
        int crop = (int)_images.Shape[2], plane = h * w, size = classes * plane;
        var p = new HostTensor<float>(probabilities.AsSpan(n * size, size).ToArray(), classes, h, w);

        // Q = CRF(P) on the crop downscaled to the score map; unary −log P (SEC feeds the logits, the same up to a per-pixel constant).
        var q = _crf.Infer(ImageResize.Resize(Denormalised(n, crop), w, h, Interpolation.Bilinear), DenseCrf.UnaryFromProbabilities(p));
        var target = CrfTarget.Data.AsSpan(n * size, size);
        for (int u = 0; u < plane; u++)
        {
            float sum = 0;
            for (int k = 0; k < classes; k++) sum += Math.Max(q.Data[k * plane + u], SeedLosses.ProbabilityFloor);
            for (int k = 0; k < classes; k++) target[k * plane + u] = Math.Max(q.Data[k * plane + u], SeedLosses.ProbabilityFloor) / sum;
        }

        // Seeds at the score map's resolution: the crop's label at the centre of each output cell.
        var seeds = new long[plane];
        var labels = _cropLabels.Data.AsSpan(n * crop * crop, crop * crop);
        for (int y = 0; y < h; y++)
        {
            int sy = Math.Min(crop - 1, (int)((y + 0.5) * crop / h));
            for (int x = 0; x < w; x++)
                seeds[y * w + x] = labels[sy * crop + Math.Min(crop - 1, (int)((x + 0.5) * crop / w))];
        }
        if (_loss.Loss == SegmenterLoss.Dsrg)
        {
            var present = new bool[classes];
            present[0] = true;
            for (int c = 1; c < classes; c++) present[c] = _imageLabels.Data[n * (classes - 1) + c - 1] > 0.5f;
            seeds = SeededRegionGrowing.Grow(target, seeds, present, h, w, _loss.BackgroundThreshold, _loss.ForegroundThreshold);
        }
        seeds.CopyTo(SeedLabels.Data.AsSpan(n * plane, plane));
    }

    /// <summary>Image <paramref name="n"/> of the batch back in 8-bit RGB (the padding, 0 after normalisation, is the mean colour).</summary>
    private RgbImage Denormalised(int n, int crop)
    {
        int plane = crop * crop;
        var source = _images.Data.AsSpan(n * 3 * plane, 3 * plane);
        var image = new RgbImage(crop, crop);
        var mean = _normalization.Mean;
        var std = _normalization.Std;
        for (int i = 0; i < plane; i++)
        {
            image.Pixels[3 * i] = ToByte(source[i] * std.R + mean.R);
            image.Pixels[3 * i + 1] = ToByte(source[plane + i] * std.G + mean.G);
            image.Pixels[3 * i + 2] = ToByte(source[2 * plane + i] * std.B + mean.B);
        }
        return image;
    }

    private static byte ToByte(float unit) => (byte)Math.Clamp(MathF.Round(unit * 255f), 0f, 255f);

    public void Dispose()
    {
        _forward?.Dispose();
        _imageInput?.Dispose();
    }
}
