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
}
