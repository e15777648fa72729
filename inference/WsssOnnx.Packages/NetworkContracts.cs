namespace WsssOnnx.Packages;

// The input and output names of a package's networks, one declaration each: the trainer builds and exports the graphs
// with them, the inference side runs and checks them.

/// <summary>classifier.onnx: image -> logits, class maps and K_pos.</summary>
public static class ClassifierContract
{
    /// <summary>x [N, 3, H, W], RGB normalised as the manifest says: the input of every network in a package.</summary>
    public const string Image = "image";

    /// <summary>Class logits z [N, C].</summary>
    public const string Logits = "logits";

    /// <summary>Pre-ReLU class maps S [N, C, h, w].</summary>
    public const string ClassMaps = "class_maps";

    /// <summary>K_pos [C]: the positive weights of each class's classifier row, for AdvCAM's scale g.</summary>
    public const string PositiveWeights = "positive_weights";
}

/// <summary>climber.onnx: one AdvCAM climbing step with its explicit gradient, for P (image, flipped image) pairs.</summary>
public static class ClimberContract
{
    // Inputs.
    public const string Image = ClassifierContract.Image; // x_t [2P, 3, H, W]: copy 2p is image p, copy 2p+1 its flipped twin
    public const string TargetClass = "target_class";     // c [P] int64, 0-based among the C foreground classes
    public const string InitialMap = "initial_map";       // A_0 [P, h, w]
    public const string MaskWeight = "mask_weight";       // lambda, scalar
    public const string MaskThreshold = "mask_threshold"; // tau, scalar
    public const string StepSize = "step_size";           // xi, scalar

    // Outputs.
    public const string MergedMap = "merged_map";         // A_t [P, h, w]
    public const string Objective = "objective";          // L summed over pairs, scalar
    public const string ImageGradient = "image_gradient"; // dL/dx_t [2P, 3, H, W]
    public const string NextImage = "next_image";         // x_{t+1} [2P, 3, H, W]
    public const string ClassScores = "class_scores";     // y_k = mean ReLU(S_k) [2P, C]
}

/// <summary>segmenter.onnx: image -> scores [N, C + 1, h, w], background first, at the segmenter's stride.</summary>
public static class SegmenterContract
{
    public const string Image = ClassifierContract.Image;

    public const string Scores = "scores";
}

/// <summary>boundary.onnx (IRN; optional): image [1, 3, H, W] -> boundary [1, 1, ceil(H / 4), ceil(W / 4)] in [0, 1].</summary>
public static class BoundaryContract
{
    public const string Image = ClassifierContract.Image;

    public const string Boundary = "boundary";
}

/// <summary>
/// fickle.onnx (FickleNet, optional): the class maps of many stochastic hidden-unit selections in the classifier's last 3x3
/// convolution, from the classifier's two extra outputs (computed once per image) and a keep mask per selection.
/// </summary>
public static class FickleContract
{
    /// <summary>Classifier output and fickle input: the last 3x3 convolution's input [N, F, h, w].</summary>
    public const string Hidden = "fickle_hidden";

    /// <summary>Classifier output and fickle input: the last block's shortcut [N, F', h, w], added before its final ReLU.</summary>
    public const string Shortcut = "fickle_shortcut";

    /// <summary>
    /// Input [M, N, 8, h, w]: selection m's factor for copy n, kernel offset k (the 3x3 offsets in row-major order without
    /// the centre, which is always kept) and output position; 0 drops, 1 / (1 - p) keeps (inverted dropout).
    /// </summary>
    public const string KeepMasks = "keep_masks";

    /// <summary>Output: pre-ReLU class maps S [M N, C, h, w], selection-major (row m N + n is selection m of copy n).</summary>
    public const string ClassMaps = ClassifierContract.ClassMaps;

    /// <summary>The non-centre offsets of the 3x3 kernel.</summary>
    public const int Offsets = 8;
}
