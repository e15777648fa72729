namespace WsssOnnx.Attribution.Pipeline;

/// <summary>How class maps are made: plain CAM (T = 1, one classifier pass per scale) or AdvCAM (the package's climber, T steps).</summary>
public enum MapMethod
{
    Cam,
    AdvCam,
}
