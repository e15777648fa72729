using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.Fickle;
using WsssOnnx.Attribution.RandomWalk;

namespace WsssOnnx.Attribution.Pipeline;

/// <summary>
/// The effective, validated parameters of one labelling: the maps' options (CAM is AdvCAM with T = 1), the seed
/// background threshold, confident labels' two thresholds, where the package has a boundary network the random walk's and,
/// for FickleNet, its drop rate and selections (with <see cref="Maps"/>' scales; its seed threshold is CAM's).
/// </summary>
public sealed record LabelParameters(MapMethod Method, AdvCamOptions Maps, float BackgroundThreshold, ConfidentLabelOptions Confident, RandomWalkOptions? RandomWalk,
    FickleNetOptions? FickleNet = null);
