using Google.Protobuf;
using WsssOnnx.Onnx;
using WsssOnnx.Packages;
using WsssOnnx.Packages.Onnx;

namespace WsssOnnx.Graph;

/// <summary>Reads and writes ONNX model files and their float initializers (trained weights).</summary>
public static class ModelFile
{
    public static void Write(ModelProto model, string path)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        AtomicFile.Write(path, model.WriteTo);
    }

    public static ModelProto Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException($"{path} is not an ONNX model: {e.Message}", e);
        }
    }

    /// <summary>The float initializers of a model by name (the weights a trainer exported).</summary>
    public static Dictionary<string, HostTensor<float>> FloatInitializers(ModelProto model) =>
        model.Graph.Initializer
            .Where(t => t.DataType == (int)TensorProto.Types.DataType.Float)
            .ToDictionary(t => t.Name, t => TensorProtoReader.Read<float>(t), StringComparer.Ordinal);
}
