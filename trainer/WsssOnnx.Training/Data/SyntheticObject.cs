namespace WsssOnnx.Training.Data;

/// <summary>
/// One object of a synthetic image. Areas are pixel counts: <see cref="FullArea"/> the body's unclipped area,
/// <see cref="InImageArea"/> the part inside the image, <see cref="VisibleArea"/> the part not covered by later objects
/// (what the mask labels, before boundary pixels become 255); the badge's likewise. The box is the visible part's,
/// 1-based inclusive as in VOC annotations.
/// </summary>
internal sealed record SyntheticObject(int Class, int FullArea, int InImageArea, int VisibleArea, int BadgeArea, int BadgeVisibleArea,
    int XMin, int YMin, int XMax, int YMax)
{
    /// <summary>VOC's "truncated": part of the object lies outside the image.</summary>
    public bool Truncated => InImageArea < 0.97 * FullArea;
}
