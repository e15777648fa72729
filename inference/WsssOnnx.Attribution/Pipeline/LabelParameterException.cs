namespace WsssOnnx.Attribution.Pipeline;

/// <summary>The parameter of a labelling that an override (or a manifest) set outside its range.</summary>
public enum LabelParameter
{
    Steps,
    StepSize,
    MaskWeight,
    MaskThreshold,
    Scales,
    MaxSide,
    PairsPerCall,
    BackgroundThreshold,
    ConfidentForeground,
    ConfidentBackground,
    DropRate,
    Samples,
}

/// <summary>A labelling parameter outside its range; the message is one sentence naming the field, its range and the value.</summary>
public sealed class LabelParameterException(LabelParameter parameter, string message, Exception? innerException = null) : Exception(message, innerException)
{
    public LabelParameter Parameter { get; } = parameter;

    /// <summary>Whether the parameter is one of the maps' (AdvCAM's T, xi, lambda, tau, scales, max side, pairs per call; FickleNet's p and N).</summary>
    public bool IsMapParameter => Parameter is not (LabelParameter.BackgroundThreshold or LabelParameter.ConfidentForeground or LabelParameter.ConfidentBackground);

    /// <summary>Whether the parameter is one of confident labels' two thresholds.</summary>
    public bool IsConfidentParameter => Parameter is LabelParameter.ConfidentForeground or LabelParameter.ConfidentBackground;
}
