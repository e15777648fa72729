namespace WsssOnnx.Attribution.Pipeline;

/// <summary>
/// How class maps are made: plain CAM (T = 1, one classifier pass per scale), AdvCAM (the package's climber, T steps) or
/// FickleNet (the package's fickle network, N stochastic selections aggregated).
/// </summary>
public enum MapMethod
{
    Cam,
    AdvCam,
    FickleNet,

    /// <summary>
    /// ACoL's localisation maps (Zhang et al. CVPR 2018): CAM (T = 1) of a package whose classifier was trained with ACoL, whose
    /// class maps are both heads' maps fused. Refused on other packages (<see cref="LocaliserMismatchException"/>).
    /// </summary>
    Acol,
}
