using System.CommandLine;
using System.Globalization;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.Pipeline;

namespace WsssOnnx.Cli;

/// <summary>
/// The options attribute and relabel share for how maps and labels are made: the method, AdvCAM's T, xi and lambda,
/// FickleNet's p and N, the image scales, the seed threshold and the confident-label thresholds. Each left out takes the package's default.
/// </summary>
internal sealed class LabelParameterOptions
{
    public Option<MapMethod> Method { get; } = new("--method")
    {
        Description = "cam (plain CAM), advcam (anti-adversarial climbing), acol (ACoL's fused maps; a package trained with --acol) "
            + "or ficklenet (FickleNet's stochastic selections; packages from export)",
        DefaultValueFactory = _ => MapMethod.AdvCam,
    };

    public Option<int?> Steps { get; } = new("--steps") { Description = "AdvCAM's climbing steps T (default: the package's)" };

    public Option<float?> StepSize { get; } = new("--step-size") { Description = "AdvCAM's step size xi (default: the package's, 0.08)" };

    public Option<float?> MaskWeight { get; } = new("--mask-weight") { Description = "AdvCAM's restriction weight lambda (default: the package's, 7)" };

    public Option<float?> DropRate { get; } = new("--drop-rate") { Description = "FickleNet's drop rate p in [0, 1) (default: the package's, 0.9)" };

    public Option<int?> Samples { get; } = new("--samples") { Description = "FickleNet's random selections per image and scale (default: the package's, 200)" };

    public Option<string?> Scales { get; } = new("--scales")
    {
        Description = $"Image scales the maps are made and merged at, a comma list such as 1 or 1,0.5 (1 to {AdvCamOptions.MaxScales}, each in "
            + $"[{AdvCamOptions.MinScale}, {AdvCamOptions.MaxScaleFactor}]; default: the package's, 1,0.5,1.5,2); every method's cost grows with the sum of their squares",
    };

    public Option<float?> Threshold { get; } = new("--threshold")
    {
        Description = "Seed background threshold in [0, 1] (default: the package's for the method, measured by export)",
    };

    public Option<float?> ConfidentForeground { get; } = new("--fg-threshold")
    {
        Description = "Confident labels: background threshold of the foreground pass (default: 2x the seed threshold, IRN's 0.30 at 0.15)",
    };

    public Option<float?> ConfidentBackground { get; } = new("--bg-threshold")
    {
        Description = "Confident labels: background threshold of the background pass (default: 1/3 of the seed threshold, IRN's 0.05 at 0.15)",
    };

    /// <summary>The method, AdvCAM and FickleNet options, the scales, then the seed threshold (help lists them in this order).</summary>
    public IEnumerable<Option> MethodOptions => [Method, Steps, StepSize, MaskWeight, DropRate, Samples, Scales, Threshold];

    public IEnumerable<Option> ConfidentOptions => [ConfidentForeground, ConfidentBackground];

    public ConfidentChoice Confident(ParseResult r) => new(r.GetValue(ConfidentForeground), r.GetValue(ConfidentBackground));

    public FickleChoice Fickle(ParseResult r) => new(r.GetValue(DropRate), r.GetValue(Samples));

    /// <summary>The --scales list; null when not given (the package's scales).</summary>
    public IReadOnlyList<float>? ScaleList(ParseResult r) => ParseScales(r.GetValue(Scales));

    /// <summary>"1,0.5" as [1, 0.5], checked here so that a local and a remote run refuse the same values with the same sentence.</summary>
    /// <exception cref="UsageException">Not a number, none or more than <see cref="AdvCamOptions.MaxScales"/>, or a scale out of range.</exception>
    internal static IReadOnlyList<float>? ParseScales(string? text)
    {
        if (text is null) return null;
        var scales = new List<float>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!float.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out float scale))
                throw new UsageException($"--scales {text}: \"{part}\" is not a number; give a comma list such as 1 or 1,0.5.");
            if (!AdvCamOptions.IsScaleInRange(scale))
                throw new UsageException($"--scales: each scale must be in [{AdvCamOptions.MinScale}, {AdvCamOptions.MaxScaleFactor}]; got {part}.");
            scales.Add(scale);
        }
        if (scales.Count > AdvCamOptions.MaxScales) throw new UsageException($"--scales takes 1 to {AdvCamOptions.MaxScales} scales; got {scales.Count}.");
        return scales;
    }
}
