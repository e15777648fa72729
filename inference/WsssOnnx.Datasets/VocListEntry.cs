namespace WsssOnnx.Datasets;

/// <summary>
/// One usable line of a list file: its line number, the sample id, the image path and, for an "image mask" pair line
/// (SBD's train_aug.txt), the mask path it names.
/// </summary>
public sealed record VocListEntry(int Line, string Id, string ImagePath, string? MaskPath);
