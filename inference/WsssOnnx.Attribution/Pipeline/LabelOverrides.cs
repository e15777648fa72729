namespace WsssOnnx.Attribution.Pipeline;

/// <summary>
/// What a request or a command-line option sets instead of the package's defaults; null keeps the default.
/// <see cref="PackagePipeline.Parameters"/> applies them and validates the result.
/// </summary>
public sealed record LabelOverrides
{
    /// <summary>AdvCAM's T (ignored for CAM, which is T = 1).</summary>
    public int? Steps { get; init; }

    /// <summary>AdvCAM's xi.</summary>
    public float? StepSize { get; init; }

    /// <summary>AdvCAM's lambda.</summary>
    public float? MaskWeight { get; init; }

    /// <summary>AdvCAM's tau.</summary>
    public float? MaskThreshold { get; init; }

    /// <summary>Image scales of CAM and AdvCAM; null or empty keeps the manifest's.</summary>
    public IReadOnlyList<float>? Scales { get; init; }

    /// <summary>The longest image side accepted.</summary>
    public int? MaxSide { get; init; }

    /// <summary>The seed background threshold; null: the manifest's for the method (CAM's or AdvCAM's).</summary>
    public float? BackgroundThreshold { get; init; }

    /// <summary>Confident labels' foreground-pass threshold; null: 2x the seed threshold.</summary>
    public float? ConfidentForeground { get; init; }

    /// <summary>Confident labels' background-pass threshold; null: 1/3 of the seed threshold.</summary>
    public float? ConfidentBackground { get; init; }

    /// <summary>FickleNet's drop rate p.</summary>
    public float? DropRate { get; init; }

    /// <summary>FickleNet's number of random selections N.</summary>
    public int? Samples { get; init; }

    /// <summary>Seed of FickleNet's random selections; null: the package default's (0).</summary>
    public int? FickleNetSeed { get; init; }

    public static LabelOverrides None { get; } = new();
}
