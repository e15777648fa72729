using WsssOnnx.Packages;

namespace WsssOnnx.Attribution.Pipeline;

/// <summary>
/// A labelling needs a network the package does not have: AdvCAM the climber, random-walk labels the boundary network,
/// segmentation the segmenter. <see cref="Role"/> is the <see cref="PackageRoles"/> name.
/// </summary>
public sealed class MissingNetworkException(string role, string package, string directory)
    : Exception($"{package} has no {PackageRoles.FileName(role)}")
{
    public string Role { get; } = role;

    /// <summary>The package as name/version.</summary>
    public string Package { get; } = package;

    /// <summary>The package's folder.</summary>
    public string Directory { get; } = directory;
}
