using System.CommandLine;
using WsssOnnx.Datasets;

namespace WsssOnnx.Cli;

/// <summary>
/// The --split option of the commands that read a VOC-layout dataset, with <see cref="VocLayout"/>'s rule in its help,
/// and opening what it names with a dataset problem turned into one sentence for the user.
/// </summary>
internal static class SplitOption
{
    /// <summary>--split; without <paramref name="defaultSplit"/> it is null when not given (the command decides).</summary>
    public static Option<string?> Create(string purpose, string? defaultSplit = null)
    {
        var option = new Option<string?>("--split") { Description = $"{purpose}: {VocLayout.SplitHelp}" };
        if (defaultSplit is not null) option.DefaultValueFactory = _ => defaultSplit;
        return option;
    }

    /// <exception cref="UsageException">The split is empty.</exception>
    /// <exception cref="CommandFailedException">The dataset or its list cannot be used (the message names the file and line).</exception>
    public static VocSplit Open(DirectoryInfo data, string? split)
    {
        if (string.IsNullOrWhiteSpace(split)) throw new UsageException($"--split is empty; give {VocLayout.SplitHelp}.");
        return Read(() => VocSplit.Open(data.FullName, split));
    }

    /// <summary>The dataset's classes.txt, or VOC 2012's classes when it has none.</summary>
    /// <exception cref="CommandFailedException">classes.txt is not a valid class list.</exception>
    public static VocClasses Classes(VocSplit split) => Read(split.Classes);

    private static T Read<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (DatasetException e)
        {
            throw new CommandFailedException(e.Message, e);
        }
    }
}
