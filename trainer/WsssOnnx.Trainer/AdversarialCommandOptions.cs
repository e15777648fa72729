using System.CommandLine;
using System.Globalization;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Trainer;

/// <summary>train-segmenter's --adversarial (Hung et al., BMVC 2018) and its settings; defaults from <see cref="AdversarialTrainingOptions"/>.</summary>
internal sealed class AdversarialCommandOptions
{
    private static readonly AdversarialTrainingOptions Defaults = new();

    public Option<bool> Enabled { get; } = new("--adversarial")
    {
        Description = "Hung et al.'s adversarial semi-supervised training (needs --pixel-labels): a discriminator tells predictions from ground truth, " +
                      "the segmenter learns to fool it and, on the other images, from its own confident pixels",
    };

    public Option<float> Weight { get; } = new("--adv-weight")
    {
        Description = "lambda_adv on the images with ground truth",
        DefaultValueFactory = _ => Defaults.AdversarialWeight,
    };

    public Option<float> UnlabelledWeight { get; } = new("--adv-weight-unlabelled")
    {
        Description = "lambda_adv on the images on pseudo-labels",
        DefaultValueFactory = _ => Defaults.UnlabelledAdversarialWeight,
    };

    public Option<float> SemiWeight { get; } = new("--semi-weight")
    {
        Description = "lambda_semi: weight of the self-taught loss on the confident pixels of the images on pseudo-labels",
        DefaultValueFactory = _ => Defaults.SemiWeight,
    };

    public Option<float> SemiThreshold { get; } = new("--semi-threshold")
    {
        Description = "T_semi: the discriminator's confidence above which a pixel trains on its own prediction",
        DefaultValueFactory = _ => Defaults.SemiThreshold,
    };

    public Option<int?> SemiStart { get; } = new("--semi-start") { Description = "The step from which the self-taught loss counts (default: a quarter of the run's steps)" };

    public Option<float> DiscriminatorLearningRate { get; } = new("--discriminator-lr")
    {
        Description = "The discriminator's Adam learning rate at step 0 (poly decay)",
        DefaultValueFactory = _ => Defaults.DiscriminatorLearningRate,
    };

    public Option<float> RealLabelSmoothing { get; } = new("--real-label-smoothing")
    {
        Description = "Label smoothing epsilon of the ground truth the discriminator sees as real: (1 - epsilon) one-hot + epsilon / classes " +
                      "(0: plain one-hot, as the official code)",
        DefaultValueFactory = _ => Defaults.RealLabelSmoothing,
    };

    private Option[] Settings => [Weight, UnlabelledWeight, SemiWeight, SemiThreshold, SemiStart, DiscriminatorLearningRate, RealLabelSmoothing];

    public void AddTo(Command command)
    {
        command.Options.Add(Enabled);
        foreach (var o in Settings) command.Options.Add(o);
    }

    /// <summary>The adversarial settings when --adversarial is given, else null.</summary>
    /// <exception cref="UsageException">A setting is given without --adversarial, --adversarial without <paramref name="pixelLabels"/>, or a value is out of range.</exception>
    public AdversarialTrainingOptions? Read(ParseResult r, bool pixelLabels)
    {
        if (!r.GetValue(Enabled))
        {
            var stray = Settings.FirstOrDefault(o => r.GetResult(o) is { Implicit: false });
            if (stray is not null) throw new UsageException($"{stray.Name} is a setting of adversarial training: give --adversarial with it, or leave it out.");
            return null;
        }
        UsageException.Check(pixelLabels,
            "--adversarial needs --pixel-labels SPLIT: the discriminator learns what ground truth looks like from that split's masks, and the other images are the unlabelled ones.");
        void NonNegative(Option<float> option)
        {
            float v = r.GetValue(option);
            UsageException.Check(v >= 0f && float.IsFinite(v), string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be a number 0 or more; got {v}."));
        }
        NonNegative(Weight);
        NonNegative(UnlabelledWeight);
        NonNegative(SemiWeight);
        float threshold = r.GetValue(SemiThreshold);
        UsageException.Check(threshold is >= 0f and < 1f, string.Create(CultureInfo.InvariantCulture, $"{SemiThreshold.Name} must be in [0, 1); got {threshold}."));
        UsageException.Check(r.GetValue(SemiStart) is null or >= 0, $"{SemiStart.Name} must be 0 or more steps; got {r.GetValue(SemiStart)}.");
        float rate = r.GetValue(DiscriminatorLearningRate);
        UsageException.Check(rate > 0f && float.IsFinite(rate), string.Create(CultureInfo.InvariantCulture, $"{DiscriminatorLearningRate.Name} must be a number above 0; got {rate}."));
        float smoothing = r.GetValue(RealLabelSmoothing);
        UsageException.Check(smoothing is >= 0f and < 1f, string.Create(CultureInfo.InvariantCulture, $"{RealLabelSmoothing.Name} must be in [0, 1); got {smoothing}."));
        return UsageException.Validated(new AdversarialTrainingOptions
        {
            AdversarialWeight = r.GetValue(Weight),
            UnlabelledAdversarialWeight = r.GetValue(UnlabelledWeight),
            SemiWeight = r.GetValue(SemiWeight),
            SemiThreshold = threshold,
            SemiStart = r.GetValue(SemiStart),
            DiscriminatorLearningRate = rate,
            RealLabelSmoothing = smoothing,
        }.Validate);
    }

    /// <summary>The settings as the package manifest's provenance records them.</summary>
    public static string Describe(AdversarialTrainingOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"adv weight {o.AdversarialWeight}, unlabelled adv weight {o.UnlabelledAdversarialWeight}, semi weight {o.SemiWeight}, semi threshold {o.SemiThreshold}, " +
        $"semi start {(o.SemiStart is { } s ? s.ToString(CultureInfo.InvariantCulture) : "a quarter of the steps")}, discriminator lr {o.DiscriminatorLearningRate}, " +
        $"betas {o.DiscriminatorBeta1}/{o.DiscriminatorBeta2}, width {o.DiscriminatorWidth}, real label smoothing {o.RealLabelSmoothing}");
}
