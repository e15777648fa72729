namespace WsssOnnx.Datasets;

/// <summary>One refused dataset file: which file, why (one sentence), and the sample it belongs to when there is one.</summary>
public sealed record DatasetProblem(DatasetProblemKind Kind, string Path, string Reason, string? SampleId = null)
{
    public override string ToString() => $"{Path}: {Reason}";
}
