using Microsoft.ML.OnnxRuntime.Tensors;

namespace WsssOnnx.Runtime;

/// <summary>A model input or output as the model declares it; -1 marks a symbolic (free) dimension.</summary>
public sealed record TensorSignature(string Name, TensorElementType ElementType, long[] Shape, bool IsTensor)
{
    public bool IsStatic => IsTensor && Shape.All(d => d >= 0);

    public override string ToString() => $"{Name}: {ElementType}[{string.Join(", ", Shape)}]";
}
