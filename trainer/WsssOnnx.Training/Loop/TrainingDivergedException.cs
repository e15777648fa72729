namespace WsssOnnx.Training.Loop;

/// <summary>The training loss became NaN or infinite: the run diverged, most often from too high a learning rate.</summary>
public sealed class TrainingDivergedException : Exception
{
    public TrainingDivergedException(float loss)
        : base($"the training loss became {loss}, so the run diverged; lower the learning rate (--lr), e.g. to a tenth, and run again with --restart.")
    {
        Loss = loss;
    }

    /// <summary>The non-finite loss value.</summary>
    public float Loss { get; }
}
