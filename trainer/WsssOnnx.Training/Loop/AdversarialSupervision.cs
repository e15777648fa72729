using WsssOnnx.Packages;
using WsssOnnx.Training.Optim;

namespace WsssOnnx.Training.Loop;

/// <summary>
/// The per-step work of adversarial training beside the segmenter's step (Hung et al.'s alternation): before it, the
/// self-taught loss's weight (0 until the semi start, lambda_semi after); after it, a batch of ground-truth crops drawn
/// from the pixel-labelled images as the discriminator's real examples and one discriminator step on the segmenter's
/// predictions of that step (copied out of its graph, so detached). Its parameters and Adam state go with the checkpoint.
/// </summary>
internal sealed class AdversarialSupervision : IDisposable
{
    public const string SemiWeightInput = "semi_weight", DiscriminatorLossTerm = "discriminator_loss";

    private readonly AdversarialTrainingOptions _options;
    private readonly ITrainingSource _source;
    private readonly Augmentation _augmentation;
    private readonly IReadOnlyList<int> _groundTruthImages;
    private readonly int _seed, _semiStart;
    private readonly PolyLearningRate _schedule;
    private readonly HostTensor<long> _realLabels;
    private readonly float[] _realImage;

    /// <param name="labels">The segmenter batch's label maps [N, H, W], bound to its graph too.</param>
    /// <param name="groundTruth">[N]: which images of the segmenter batch train on ground truth, bound to its graph too.</param>
    /// <param name="groundTruthImages">Indices into <paramref name="source"/> of the images with ground-truth masks: the real examples.</param>
    public AdversarialSupervision(AdversarialTrainingOptions options, int classes, HostTensor<long> labels, HostTensor<float> groundTruth, ITrainingSource source,
        Augmentation augmentation, IReadOnlyList<int> groundTruthImages, int seed, int totalSteps, int threads)
    {
        if (groundTruthImages.Count == 0)
            throw new ArgumentException("adversarial training needs training images with ground-truth masks (the discriminator's real examples); none has one", nameof(groundTruthImages));
        _options = options.Validate();
        _source = source;
        _augmentation = augmentation;
        _groundTruthImages = groundTruthImages;
        _seed = seed;
        _semiStart = options.SemiStartStep(totalSteps);
        // The official code decays the discriminator's rate with the segmenter's poly schedule.
        _schedule = new PolyLearningRate(options.DiscriminatorLearningRate, totalSteps);
        long n = labels.Shape[0], h = labels.Shape[1], w = labels.Shape[2];
        Predictions = HostTensor<float>.Zeros(n, classes, h, w);
        _realLabels = HostTensor<long>.Zeros(n, h, w);
        _realImage = new float[3 * h * w];
        Discriminator = new AdversarialDiscriminator(options, Predictions, labels, groundTruth, _realLabels, seed, threads);
        StepInputs = [(SemiWeightInput, SemiWeight, null), .. Discriminator.Parameters.Tensors.Select(p => (p.Key, (HostTensor<float>?)p.Value, (HostTensor<long>?)null))];
    }

    public AdversarialDiscriminator Discriminator { get; }

    /// <summary>The segmenter's softmax predictions of the last step [N, K, H, W], the discriminator's fake batch.</summary>
    public HostTensor<float> Predictions { get; }

    /// <summary>lambda_semi while the self-taught loss counts, else 0: the segmenter graph's scalar input.</summary>
    public HostTensor<float> SemiWeight { get; } = HostTensor<float>.Zeros(1);

    /// <summary>The segmenter graph's inputs besides the batch: the self-taught loss's weight and the discriminator's parameters (read in place).</summary>
    public IReadOnlyList<(string Name, HostTensor<float>? Float, HostTensor<long>? Int)> StepInputs { get; }

    public int SemiStart => _semiStart;

    public void BeforeStep(int step) => SemiWeight.Data[0] = step >= _semiStart ? _options.SemiWeight : 0f;

    /// <summary>The discriminator's step after the segmenter's step <paramref name="step"/>; returns L_D.</summary>
    public float AfterStep(int step)
    {
        int n = (int)_realLabels.Shape[0], plane = (int)(_realLabels.Shape[1] * _realLabels.Shape[2]);
        // A real batch per step, drawn with replacement from the ground-truth images (the official code iterates a loader of them).
        var draw = new Random(SampleSeed.Of(_seed, step, -2));
        for (int slot = 0; slot < n; slot++)
        {
            int index = _groundTruthImages[draw.Next(_groundTruthImages.Count)];
            var sample = _source.Load(index, withMask: true);
            var mask = sample.Mask ?? throw new InvalidDataException($"{sample.Id}: no ground-truth mask for the discriminator");
            _augmentation.Apply(sample.Image, mask, new Random(SampleSeed.Of(_seed, step, index)), _realImage, _realLabels.Data.AsSpan(slot * plane, plane));
        }
        return Discriminator.Step(_schedule.At(step));
    }

    public void Dispose() => Discriminator.Dispose();
}
