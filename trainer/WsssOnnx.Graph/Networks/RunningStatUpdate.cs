namespace WsssOnnx.Graph.Networks;

/// <summary>
/// A running statistic recomputed by a training-mode batch-normalisation layer: after each step the trainer copies
/// graph output <paramref name="Output"/> into the non-trainable parameter <paramref name="Parameter"/>.
/// </summary>
public sealed record RunningStatUpdate(string Parameter, string Output);
