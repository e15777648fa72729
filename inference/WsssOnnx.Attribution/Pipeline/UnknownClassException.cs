namespace WsssOnnx.Attribution.Pipeline;

/// <summary>A class name the package does not know; <see cref="KnownClasses"/> lists its foreground classes.</summary>
public sealed class UnknownClassException(string className, string package, IReadOnlyList<string> knownClasses)
    : Exception($"unknown class \"{className}\"; {package} knows {string.Join(", ", knownClasses)}")
{
    public string ClassName { get; } = className;

    /// <summary>The package as name/version.</summary>
    public string Package { get; } = package;

    public IReadOnlyList<string> KnownClasses { get; } = knownClasses;
}
