namespace WsssOnnx.Cli;

/// <summary>
/// How class maps are made: plain CAM (one classifier pass per scale), AdvCAM (anti-adversarial climbing), ACoL (CAM of
/// a package trained with ACoL: both heads' maps fused) or FickleNet (stochastic selections).
/// </summary>
internal enum AttributionMethod
{
    Cam,
    AdvCam,
    Acol,
    FickleNet,
}

/// <summary>The method as the gRPC API names it.</summary>
internal static class AttributionMethodWire
{
    public static Protos.Wsss.V1.AttributionMethod ToWire(this AttributionMethod method) => method switch
    {
        AttributionMethod.Cam => Protos.Wsss.V1.AttributionMethod.Cam,
        AttributionMethod.Acol => Protos.Wsss.V1.AttributionMethod.Acol,
        AttributionMethod.FickleNet => Protos.Wsss.V1.AttributionMethod.Ficklenet,
        _ => Protos.Wsss.V1.AttributionMethod.Advcam,
    };
}
