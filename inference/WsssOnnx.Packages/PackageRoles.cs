namespace WsssOnnx.Packages;

/// <summary>The roles of a package's ONNX files, the keys of the manifest's "files".</summary>
public static class PackageRoles
{
    /// <summary>image -> logits, class_maps, positive_weights.</summary>
    public const string Classifier = "classifier";

    /// <summary>One AdvCAM climbing step with its explicit input gradient.</summary>
    public const string Climber = "climber";

    /// <summary>image -> scores (background first) at the segmenter's stride.</summary>
    public const string Segmenter = "segmenter";

    /// <summary>FickleNet's stochastic selections (<see cref="FickleContract"/>; optional, our ResNet classifiers only).</summary>
    public const string Fickle = "fickle";

    /// <summary>image [1, 3, H, W] -> boundary [1, 1, ceil(H / 4), ceil(W / 4)] in [0, 1] (IRN; optional).</summary>
    public const string Boundary = "boundary";

    /// <summary>The file name the exporter gives a role's network; the manifest's "files" say where each one is.</summary>
    public static string FileName(string role) => role + ".onnx";
}
