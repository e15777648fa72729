using WsssOnnx.Grpc;
using WsssOnnx.Protos.Wsss.V1;

namespace WsssOnnx.Server;

/// <summary>The wsss.v1 methods (protos/wsss/v1), shared by the server and its clients.</summary>
public static class WsssApi
{
    public const string SegmentationService = "wsss.v1.Segmentation";
    public const string AttributionService = "wsss.v1.Attribution";
    public const string ModelAdminService = "wsss.v1.ModelAdmin";

    public static GrpcMethod<SegmentRequest, SegmentResponse> Segment { get; } =
        new(GrpcMethodKind.Unary, SegmentationService, "Segment", SegmentRequest.Parser, SegmentResponse.Parser);

    public static GrpcMethod<AttributeRequest, AttributeResponse> Attribute { get; } =
        new(GrpcMethodKind.Unary, AttributionService, "Attribute", AttributeRequest.Parser, AttributeResponse.Parser);

    public static GrpcMethod<RegenerateLabelsRequest, RegenerateLabelsResponse> RegenerateLabels { get; } =
        new(GrpcMethodKind.DuplexStreaming, AttributionService, "RegenerateLabels", RegenerateLabelsRequest.Parser, RegenerateLabelsResponse.Parser);

    public static GrpcMethod<ListModelsRequest, ListModelsResponse> ListModels { get; } =
        new(GrpcMethodKind.Unary, ModelAdminService, "ListModels", ListModelsRequest.Parser, ListModelsResponse.Parser);

    public static GrpcMethod<ModelVersionRequest, ModelVersion> LoadModel { get; } =
        new(GrpcMethodKind.Unary, ModelAdminService, "LoadModel", ModelVersionRequest.Parser, ModelVersion.Parser);

    public static GrpcMethod<ModelVersionRequest, ModelVersion> ActivateModel { get; } =
        new(GrpcMethodKind.Unary, ModelAdminService, "ActivateModel", ModelVersionRequest.Parser, ModelVersion.Parser);

    public static GrpcMethod<ModelVersionRequest, ModelVersion> UnloadModel { get; } =
        new(GrpcMethodKind.Unary, ModelAdminService, "UnloadModel", ModelVersionRequest.Parser, ModelVersion.Parser);

    public static GrpcMethod<GetStatusRequest, ServerStatus> GetStatus { get; } =
        new(GrpcMethodKind.Unary, ModelAdminService, "GetStatus", GetStatusRequest.Parser, ServerStatus.Parser);
}
