namespace WsssOnnx.Training.Loop;

/// <summary>A progress report: where the run is, its recent loss and speed, and the estimated time left.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Step, int TotalSteps, double Loss, double ImagesPerSecond, TimeSpan Remaining, string? Message = null);
