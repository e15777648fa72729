using System.CommandLine;
using System.Globalization;
using WsssOnnx.Graph.Networks;

namespace WsssOnnx.Trainer;

/// <summary>train-classifier's ECS-Net options (--ecs and its settings); the ranges live in <see cref="ErasedCamSupervisionOptions"/>.</summary>
internal sealed class EcsCommandOptions
{
    private static readonly ErasedCamSupervisionOptions Defaults = new();

    public Option<bool> Enabled { get; } = new("--ecs")
    {
        Description = "ECS-Net: blur out the CAM's regions above --ecs-threshold, take the erased image's CAM with the same weights, " +
                      "and train the original CAM on its reliable pixels (inference stays plain CAM/AdvCAM)",
    };

    public Option<float> Threshold { get; } = new("--ecs-threshold")
    {
        Description = "delta: the max-normalised CAM above it is erased (paper: 0.6)",
        DefaultValueFactory = _ => Defaults.Threshold,
    };

    public Option<float> Weight { get; } = new("--ecs-weight") { Description = "Weight of the ECS loss beside the classification loss", DefaultValueFactory = _ => Defaults.Weight };

    public Option<float> ErasedWeight { get; } = new("--ecs-erased-weight")
    {
        Description = "Weight of the erased crop's own classification loss (0: the erased crop only provides the labels)",
        DefaultValueFactory = _ => Defaults.ErasedClassificationWeight,
    };

    public Option<float> Foreground { get; } = new("--ecs-foreground")
    {
        Description = "The erased image's normalised CAM at or above it marks a reliable foreground pixel",
        DefaultValueFactory = _ => Defaults.Foreground,
    };

    public Option<float> Background { get; } = new("--ecs-background")
    {
        Description = "Both images' normalised CAMs below it mark a reliable background pixel",
        DefaultValueFactory = _ => Defaults.Background,
    };

    public Option<float> BlurSigma { get; } = new("--ecs-blur-sigma")
    {
        Description = "Standard deviation in pixels of the Gaussian blur that erases",
        DefaultValueFactory = _ => Defaults.BlurSigma,
    };

    private Option<float>[] Settings => [Threshold, Weight, ErasedWeight, Foreground, Background, BlurSigma];

    public void AddTo(Command command)
    {
        command.Options.Add(Enabled);
        foreach (var o in Settings) command.Options.Add(o);
    }

    /// <summary>The ECS settings when --ecs is given, else null; an --ecs-* setting without --ecs is refused.</summary>
    /// <exception cref="UsageException">A setting is given without --ecs.</exception>
    public ErasedCamSupervisionOptions? Read(ParseResult r)
    {
        if (!r.GetValue(Enabled))
        {
            var stray = Settings.FirstOrDefault(o => r.GetResult(o) is { Implicit: false });
            if (stray is not null) throw new UsageException($"{stray.Name} is a setting of ECS-Net training: give --ecs with it, or leave it out.");
            return null;
        }
        return new ErasedCamSupervisionOptions
        {
            Threshold = r.GetValue(Threshold),
            Weight = r.GetValue(Weight),
            ErasedClassificationWeight = r.GetValue(ErasedWeight),
            Foreground = r.GetValue(Foreground),
            Background = r.GetValue(Background),
            BlurSigma = r.GetValue(BlurSigma),
        };
    }

    /// <summary>The settings as the package manifest's provenance records them.</summary>
    public static string Describe(ErasedCamSupervisionOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"threshold {o.Threshold}, weight {o.Weight}, erased weight {o.ErasedClassificationWeight}, foreground {o.Foreground}, background {o.Background}, blur sigma {o.BlurSigma}");
}
