using WsssOnnx.Attribution.Pipeline;

namespace WsssOnnx.Cli;

/// <summary>The method as the gRPC API names it.</summary>
internal static class MapMethodWire
{
    public static Protos.Wsss.V1.AttributionMethod ToWire(this MapMethod method) => method switch
    {
        MapMethod.Cam => Protos.Wsss.V1.AttributionMethod.Cam,
        MapMethod.Acol => Protos.Wsss.V1.AttributionMethod.Acol,
        MapMethod.FickleNet => Protos.Wsss.V1.AttributionMethod.Ficklenet,
        _ => Protos.Wsss.V1.AttributionMethod.Advcam,
    };
}
