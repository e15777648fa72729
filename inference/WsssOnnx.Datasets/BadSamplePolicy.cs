namespace WsssOnnx.Datasets;

/// <summary>What a dataset does with a sample whose files are missing or malformed.</summary>
public enum BadSamplePolicy
{
    /// <summary>Throw <see cref="DatasetException"/> at the first bad sample.</summary>
    Stop,

    /// <summary>Record a <see cref="DatasetProblem"/>, leave the sample out, and go on.</summary>
    Skip,
}
