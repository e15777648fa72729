using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Pipeline;

/// <summary>A method needs a classifier trained as another localiser: ACoL's maps need an ACoL-trained classifier.</summary>
public sealed class LocaliserMismatchException(string needed, string trained, string package)
    : Exception($"{package}'s classifier was trained as {trained}, but the method needs one trained as {needed}")
{
    /// <summary>The <see cref="ClassifierLocaliser"/> kind the method needs.</summary>
    public string Needed { get; } = needed;

    /// <summary>The kind the package's manifest says its classifier was trained as.</summary>
    public string Trained { get; } = trained;

    /// <summary>The package as name/version.</summary>
    public string Package { get; } = package;
}
