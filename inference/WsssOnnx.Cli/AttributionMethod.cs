namespace WsssOnnx.Cli;

/// <summary>How class maps are made: plain CAM (one classifier pass per scale) or AdvCAM (anti-adversarial climbing).</summary>
internal enum AttributionMethod
{
    Cam,
    AdvCam,
}
