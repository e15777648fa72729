using WsssOnnx.CommandLine;

namespace WsssOnnx.Perf;

/// <summary>The --preset rule of the timing commands: one preset by its name, or all of them.</summary>
internal static class PresetChoice
{
    public const string All = "all";

    /// <exception cref="UsageException"><paramref name="chosen"/> names no preset.</exception>
    public static IReadOnlyList<T> Select<T>(IReadOnlyList<T> presets, Func<T, string> nameOf, string chosen)
    {
        if (chosen == All) return presets;
        var match = presets.Where(p => nameOf(p) == chosen).ToArray();
        return match.Length > 0 ? match : throw new UsageException($"--preset must be one of {string.Join(", ", presets.Select(nameOf))} or {All}; got '{chosen}'.");
    }
}
