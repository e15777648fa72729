namespace WsssOnnx.Imaging;

/// <summary>The class names of a VOC label map's values, for datasets that do not list their own (classes.txt).</summary>
public static class VocClassNames
{
    /// <summary>PASCAL VOC 2012: "background" (label 0), then its 20 object classes in the devkit's order (labels 1 to 20).</summary>
    public static IReadOnlyList<string> Voc2012 { get; } =
    [
        "background",
        "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ];
}
