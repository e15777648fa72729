using WsssOnnx.Packages;
using WsssOnnx.Runtime;

namespace WsssOnnx.Attribution.Pipeline;

/// <summary>
/// What a package's manifest promises about its networks, checked against the loaded sessions before the package can
/// label or serve: the input and output names the service calls, RGB image inputs, and one class count throughout (the
/// manifest's foreground classes C = the classifier's K_pos [C] and the channels of its maps and logits, the climber's
/// class scores; C + 1 with background = the segmenter's score channels; one channel for the boundary network's B). A manifest whose class list does not match
/// its networks would label every pixel with the wrong names, or fail requests, so such a package does not load.
/// </summary>
internal static class PackageContract
{
    /// <exception cref="InvalidDataException">The first mismatch, naming the file, the tensor and both numbers.</exception>
    public static void Check(ModelPackage package, ModelSession classifier, ModelSession? climber, ModelSession? segmenter, ModelSession? boundary = null,
        ModelSession? fickle = null)
    {
        int foreground = package.Manifest.Classes.Count - 1;
        string classes = $"manifest.json lists {foreground} foreground classes";

        RequireImageInput(package, PackageRoles.Classifier, classifier);
        RequireChannels(package, PackageRoles.Classifier, Output(package, PackageRoles.Classifier, classifier, ClassifierContract.PositiveWeights), 0, foreground, classes);
        RequireChannels(package, PackageRoles.Classifier, Output(package, PackageRoles.Classifier, classifier, ClassifierContract.ClassMaps), 1, foreground, classes);
        if (classifier.Outputs.FirstOrDefault(o => o.Name == ClassifierContract.Logits) is { } logits) RequireChannels(package, PackageRoles.Classifier, logits, 1, foreground, classes);

        if (climber is not null)
        {
            RequireImageInput(package, PackageRoles.Climber, climber);
            RequireChannels(package, PackageRoles.Climber, Output(package, PackageRoles.Climber, climber, ClimberContract.ClassScores), 1, foreground, classes);
        }
        if (segmenter is not null)
        {
            RequireImageInput(package, PackageRoles.Segmenter, segmenter);
            RequireChannels(package, PackageRoles.Segmenter, Output(package, PackageRoles.Segmenter, segmenter, SegmenterContract.Scores), 1, foreground + 1,
                $"manifest.json lists {foreground + 1} classes with background");
        }
        if (boundary is not null)
        {
            // B [1, 1, h, w]: one class-agnostic boundary channel.
            RequireImageInput(package, PackageRoles.Boundary, boundary);
            RequireChannels(package, PackageRoles.Boundary, Output(package, PackageRoles.Boundary, boundary, BoundaryContract.Boundary), 1, 1,
                "IRN's boundary map has one channel");
        }
        if (fickle is not null)
        {
            // fickle.onnx starts where the classifier hands over (its two extra outputs) and ends in the same class maps.
            Output(package, PackageRoles.Classifier, classifier, FickleContract.Hidden);
            Output(package, PackageRoles.Classifier, classifier, FickleContract.Shortcut);
            foreach (string input in new[] { FickleContract.Hidden, FickleContract.Shortcut, FickleContract.KeepMasks })
            {
                if (fickle.Inputs.All(i => i.Name != input))
                    throw new InvalidDataException($"{FileOf(package, PackageRoles.Fickle)} has no input '{input}' (it has {string.Join(", ", fickle.Inputs.Select(i => i.Name))})");
            }
            RequireChannels(package, PackageRoles.Fickle, Output(package, PackageRoles.Fickle, fickle, FickleContract.ClassMaps), 1, foreground, classes);
        }
    }

    private static TensorSignature Output(ModelPackage package, string role, ModelSession session, string name) =>
        session.Outputs.FirstOrDefault(o => o.Name == name)
        ?? throw new InvalidDataException($"{FileOf(package, role)} has no output '{name}' (it has {string.Join(", ", session.Outputs.Select(o => o.Name))})");

    // [N, 3, H, W] float: the service feeds normalised RGB.
    private static void RequireImageInput(ModelPackage package, string role, ModelSession session)
    {
        var image = session.Inputs.FirstOrDefault(i => i.Name == ClassifierContract.Image)
            ?? throw new InvalidDataException($"{FileOf(package, role)} has no input '{ClassifierContract.Image}' (it has {string.Join(", ", session.Inputs.Select(i => i.Name))})");
        if (image.Shape.Length != 4 || image.Shape[1] is not (3 or -1))
            throw new InvalidDataException($"{FileOf(package, role)} declares {image}; the service feeds RGB images [N, 3, H, W]");
    }

    // A symbolic dimension (-1) cannot be checked here; every fixed one must agree.
    private static void RequireChannels(ModelPackage package, string role, TensorSignature tensor, int axis, int expected, string promise)
    {
        if (tensor.Shape.Length <= axis)
            throw new InvalidDataException($"{FileOf(package, role)} declares {tensor}; expected at least {axis + 1} dimensions");
        long actual = tensor.Shape[axis];
        if (actual >= 0 && actual != expected)
            throw new InvalidDataException($"{promise}, but {FileOf(package, role)}'s output {tensor.Name} has {actual} (dimension {axis} of {tensor}); " +
                "the manifest does not belong to these networks");
    }

    private static string FileOf(ModelPackage package, string role) =>
        package.Manifest.Files.TryGetValue(role, out var file) ? file.Path : PackageRoles.FileName(role);
}
