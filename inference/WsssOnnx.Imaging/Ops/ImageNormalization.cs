namespace WsssOnnx.Imaging;

/// <summary>
/// Per-channel normalisation of an 8-bit RGB pixel to a network input: v = (x / 255 − Mean_c) / Std_c.
/// Defaults are the ImageNet statistics every torchvision backbone (and IRN's ResNet-50) was trained with.
/// </summary>
public sealed record ImageNormalization
{
    public static ImageNormalization ImageNet { get; } = new();

    /// <summary>Mean of x / 255 per channel (R, G, B); finite. Default (0.485, 0.456, 0.406).</summary>
    public (float R, float G, float B) Mean { get; init; } = (0.485f, 0.456f, 0.406f);

    /// <summary>Standard deviation of x / 255 per channel (R, G, B); finite and &gt; 0. Default (0.229, 0.224, 0.225).</summary>
    public (float R, float G, float B) Std { get; init; } = (0.229f, 0.224f, 0.225f);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first field outside its allowed range.</summary>
    internal void Validate()
    {
        (string Name, float Value)[] means = [("Mean.R", Mean.R), ("Mean.G", Mean.G), ("Mean.B", Mean.B)];
        foreach ((string name, float value) in means)
            if (!float.IsFinite(value))
                throw new ArgumentOutOfRangeException(nameof(Mean), value, $"ImageNormalization.{name} must be a finite number");
        (string Name, float Value)[] stds = [("Std.R", Std.R), ("Std.G", Std.G), ("Std.B", Std.B)];
        foreach ((string name, float value) in stds)
            if (!float.IsFinite(value) || value <= 0)
                throw new ArgumentOutOfRangeException(nameof(Std), value, $"ImageNormalization.{name} must be finite and in (0, +inf)");
    }
}
