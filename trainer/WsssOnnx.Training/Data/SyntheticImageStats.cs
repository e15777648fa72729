namespace WsssOnnx.Training.Data;

/// <summary>The ground-truth statistics of one synthetic image (what the summary aggregates; no pixels).</summary>
internal sealed record SyntheticImageStats(IReadOnlyList<SyntheticObject> Objects, int ForegroundPixels, int IgnorePixels, int Decoys, int DroppedObjects);
