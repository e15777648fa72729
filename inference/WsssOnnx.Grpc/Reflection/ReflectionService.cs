using Google.Protobuf;
using Google.Protobuf.Reflection;
using WsssOnnx.Grpc.Server;
using WsssOnnx.Protos.Reflection.V1;

namespace WsssOnnx.Grpc.Reflection;

/// <summary>
/// gRPC server reflection (grpc doc/server-reflection.md) as grpc.reflection.v1 and grpc.reflection.v1alpha, whose
/// messages are the same on the wire: list_services names the services the router serves; file_by_filename and
/// file_containing_symbol answer the FileDescriptorProto of the file and of every file it imports, transitively;
/// an unknown name or symbol gets an ErrorResponse with NOT_FOUND and the stream goes on. Tools such as grpcurl can
/// then list, describe and call the API without the .proto files.
/// </summary>
public sealed class ReflectionService
{
    private const string V1Service = "grpc.reflection.v1.ServerReflection";
    private const string V1AlphaService = "grpc.reflection.v1alpha.ServerReflection";

    private readonly GrpcServiceRouter _router;
    private readonly Dictionary<string, FileDescriptor> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileDescriptor> _symbols = new(StringComparer.Ordinal);
    private readonly HashSet<string> _messages = new(StringComparer.Ordinal);

    /// <summary>"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo".</summary>
    public static GrpcMethod<ServerReflectionRequest, ServerReflectionResponse> V1Method { get; } =
        new(GrpcMethodKind.DuplexStreaming, V1Service, "ServerReflectionInfo", ServerReflectionRequest.Parser, ServerReflectionResponse.Parser);

    /// <summary>"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", the name older tools ask for.</summary>
    public static GrpcMethod<ServerReflectionRequest, ServerReflectionResponse> V1AlphaMethod { get; } =
        new(GrpcMethodKind.DuplexStreaming, V1AlphaService, "ServerReflectionInfo", ServerReflectionRequest.Parser, ServerReflectionResponse.Parser);

    /// <summary>Describes <paramref name="files"/> (and what they import) for the services of <paramref name="router"/>.</summary>
    public ReflectionService(GrpcServiceRouter router, params FileDescriptor[] files)
    {
        _router = router;
        foreach (var file in files.Append(ReflectionReflection.Descriptor)) Add(file);
    }

    /// <summary>Registers both reflection services on the router given to the constructor.</summary>
    public GrpcServiceRouter AddToRouter() => _router.AddDuplex(V1Method, ServeAsync).AddDuplex(V1AlphaMethod, ServeAsync);

    private void Add(FileDescriptor file)
    {
        if (!_files.TryAdd(file.Name, file)) return;
        foreach (var dependency in file.Dependencies) Add(dependency);
        foreach (var service in file.Services)
        {
            _symbols[service.FullName] = file;
            foreach (var method in service.Methods) _symbols[method.FullName] = file;
        }
        foreach (var message in file.MessageTypes) AddMessage(message, file);
        foreach (var enumeration in file.EnumTypes) _symbols[enumeration.FullName] = file;
    }

    private void AddMessage(MessageDescriptor message, FileDescriptor file)
    {
        _symbols[message.FullName] = file;
        _messages.Add(message.FullName);
        foreach (var nested in message.NestedTypes) AddMessage(nested, file);
        foreach (var enumeration in message.EnumTypes) _symbols[enumeration.FullName] = file;
    }

    private async Task ServeAsync(IAsyncEnumerable<ServerReflectionRequest> requests, IGrpcStreamWriter<ServerReflectionResponse> writer,
        GrpcServerCallContext context)
    {
        await foreach (var request in requests.ConfigureAwait(false))
            await writer.WriteAsync(Answer(request), context.CancellationToken).ConfigureAwait(false);
    }

    private ServerReflectionResponse Answer(ServerReflectionRequest request)
    {
        var response = new ServerReflectionResponse { ValidHost = request.Host, OriginalRequest = request };
        switch (request.MessageRequestCase)
        {
            case ServerReflectionRequest.MessageRequestOneofCase.ListServices:
                var services = new ListServiceResponse();
                foreach (var name in _router.Methods.Select(ServiceOf).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
                    services.Service.Add(new ServiceResponse { Name = name });
                response.ListServicesResponse = services;
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileByFilename:
                Describe(response, _files.GetValueOrDefault(request.FileByFilename), $"file '{request.FileByFilename}'");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingSymbol:
                Describe(response, _symbols.GetValueOrDefault(request.FileContainingSymbol), $"symbol '{request.FileContainingSymbol}'");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.AllExtensionNumbersOfType when _messages.Contains(request.AllExtensionNumbersOfType):
                // proto3 files declare no extensions.
                response.AllExtensionNumbersResponse = new ExtensionNumberResponse { BaseTypeName = request.AllExtensionNumbersOfType };
                break;
            default:
                response.ErrorResponse = NotFound("no extensions, or a request kind this server does not know");
                break;
        }
        return response;
    }

    private static string ServiceOf(string path) => path[1..path.LastIndexOf('/')];

    private static void Describe(ServerReflectionResponse response, FileDescriptor? file, string what)
    {
        if (file is null)
        {
            response.ErrorResponse = NotFound($"unknown {(what.Length > 200 ? what[..200] + "..." : what)}");
            return;
        }
        var files = new FileDescriptorResponse();
        var sent = new HashSet<string>(StringComparer.Ordinal);
        void Add(FileDescriptor f)
        {
            if (!sent.Add(f.Name)) return;
            files.FileDescriptorProto.Add(f.SerializedData);
            foreach (var dependency in f.Dependencies) Add(dependency);
        }
        Add(file);
        response.FileDescriptorResponse = files;
    }

    private static ErrorResponse NotFound(string message) => new() { ErrorCode = (int)GrpcStatusCode.NotFound, ErrorMessage = message };
}
