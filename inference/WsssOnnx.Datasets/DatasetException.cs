namespace WsssOnnx.Datasets;

/// <summary>
/// A dataset file that cannot be used. The message is "path: reason"; <see cref="Problem"/> holds the same as data,
/// and the inner exception, where there is one, is the decoder's or the XML parser's own.
/// </summary>
public sealed class DatasetException : Exception
{
    public DatasetException(DatasetProblem problem, Exception? innerException = null)
        : base((problem ?? throw new ArgumentNullException(nameof(problem))).ToString(), innerException)
    {
        Problem = problem;
    }

    public DatasetProblem Problem { get; }

    public DatasetProblemKind Kind => Problem.Kind;

    /// <summary>The file (or folder) at fault.</summary>
    public string Path => Problem.Path;

    /// <summary>Why, as one sentence without the path.</summary>
    public string Reason => Problem.Reason;
}
