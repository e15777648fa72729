namespace WsssOnnx.Training.Data;

/// <summary>One usable line of a list file: the sample id, its image path and, for a pair line, its mask path.</summary>
internal sealed record VocListEntry(int Line, string Id, string ImagePath, string? MaskPath);
