using WsssOnnx.Packages;

namespace WsssOnnx.Imaging;

/// <summary>
/// Per-channel normalisation of an 8-bit RGB pixel to a network input: v = (x / 255 − Mean_c) / Std_c.
/// Defaults are the ImageNet statistics every torchvision backbone (and IRN's ResNet-50) was trained with.
/// </summary>
public sealed record ImageNormalization
{
    public static ImageNormalization ImageNet { get; } = new();

    /// <summary>Mean of x / 255 per channel (R, G, B); finite. Default: ImageNet's (0.485, 0.456, 0.406).</summary>
    public (float R, float G, float B) Mean { get; init; } = Triple(InputNormalization.ImageNet.Mean);

    /// <summary>Standard deviation of x / 255 per channel (R, G, B); finite and &gt; 0. Default: ImageNet's (0.229, 0.224, 0.225).</summary>
    public (float R, float G, float B) Std { get; init; } = Triple(InputNormalization.ImageNet.Std);

    /// <summary>The normalisation a package manifest (or run.json) names.</summary>
    /// <exception cref="InvalidDataException">Mean or Std does not hold three values.</exception>
    public static ImageNormalization From(InputNormalization n)
    {
        if (n.Mean is not { Length: 3 } || n.Std is not { Length: 3 })
            throw new InvalidDataException($"a normalisation needs three means and three standard deviations (R, G, B); got {n.Mean?.Length ?? 0} and {n.Std?.Length ?? 0}");
        return new ImageNormalization { Mean = Triple(n.Mean), Std = Triple(n.Std) };
    }

    /// <summary>The manifest's (and run.json's) form: arrays in R, G, B order.</summary>
    public InputNormalization ToManifest() => new([Mean.R, Mean.G, Mean.B], [Std.R, Std.G, Std.B]);

    private static (float, float, float) Triple(float[] values) => (values[0], values[1], values[2]);

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
