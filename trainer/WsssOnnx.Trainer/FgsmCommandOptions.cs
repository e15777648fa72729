using System.CommandLine;
using System.Globalization;
using WsssOnnx.Graph.Networks;

namespace WsssOnnx.Trainer;

/// <summary>train-classifier's FGSM options (--fgsm-epsilon, --fgsm-clean-weight); the ranges live in <see cref="FgsmTrainingOptions"/>.</summary>
internal sealed class FgsmCommandOptions
{
    public Option<float?> Epsilon { get; } = new("--fgsm-epsilon")
    {
        Description = "FGSM adversarial training with a random start: train on crops moved up to this far (L-infinity, normalised input units) "
            + "to raise the loss (0: off; with --pretrained and without --ecs/--acol the default is 0.035)",
    };

    public Option<float?> CleanWeight { get; } = new("--fgsm-clean-weight")
    {
        Description = "with --fgsm-epsilon: the loss is w L(crop) + (1 - w) L(adversarial crop) (default 0.5, Goodfellow et al.'s; 0: the adversarial crops only)",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Epsilon);
        command.Options.Add(CleanWeight);
    }

    /// <summary>
    /// The FGSM settings: --fgsm-epsilon's radius, else <paramref name="defaultEpsilon"/> (the recipe's; 0 or null: off).
    /// Null when off; --fgsm-clean-weight without a radius is refused.
    /// </summary>
    /// <exception cref="UsageException">A clean weight without FGSM, or a value out of range.</exception>
    public FgsmTrainingOptions? Read(ParseResult r, float? defaultEpsilon)
    {
        float epsilon = r.GetValue(Epsilon) ?? defaultEpsilon ?? 0f;
        float? cleanWeight = r.GetValue(CleanWeight);
        if (epsilon == 0f)
        {
            if (cleanWeight is not null) throw new UsageException("--fgsm-clean-weight weighs FGSM training's clean loss: give --fgsm-epsilon as well.");
            return null;
        }
        return UsageException.Validated(new FgsmTrainingOptions { Epsilon = epsilon, CleanWeight = cleanWeight ?? FgsmTrainingOptions.DefaultCleanWeight }.Validate);
    }

    /// <summary>The settings as the package manifest's provenance records them.</summary>
    public static string Describe(FgsmTrainingOptions o) => string.Create(CultureInfo.InvariantCulture, $"epsilon {o.Epsilon}, clean weight {o.CleanWeight}");
}
