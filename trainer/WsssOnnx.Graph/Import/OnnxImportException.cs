namespace WsssOnnx.Graph.Import;

/// <summary>An external ONNX classifier that cannot be rewritten into our classifier form; the message is one sentence naming the node.</summary>
public sealed class OnnxImportException(string message) : Exception(message);
