using WsssOnnx.Attribution.Cam;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.RandomWalk;

namespace WsssOnnx.Attribution.Pipeline;

/// <summary>
/// The effective, validated parameters of one labelling: the maps' options (CAM is AdvCAM with T = 1), the seed
/// background threshold, confident labels' two thresholds and, where the package has a boundary network, the random walk's.
/// </summary>
public sealed record LabelParameters(MapMethod Method, AdvCamOptions Maps, float BackgroundThreshold, ConfidentLabelOptions Confident, RandomWalkOptions? RandomWalk);
