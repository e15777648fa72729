namespace WsssOnnx.Runtime;

/// <summary>A model file could not be read or ONNX Runtime rejected it; the message carries ORT's own reason.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException(string source, string reason, Exception? inner = null)
        : base($"cannot load model {source}: {reason}", inner)
    {
        Source = source;
    }

    /// <summary>The file path, or a description of the byte buffer, the model came from.</summary>
    public new string Source { get; }
}
