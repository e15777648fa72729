using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using WsssOnnx.Packages.Onnx;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Runtime;

/// <summary>
/// Maps managed element types to ONNX Runtime's tensor element types: ONNX Runtime's own Float16 and BFloat16 here, the
/// rest through <see cref="OnnxElementTypes"/> (TensorElementType's values are onnx.proto's DataType numbers).
/// </summary>
internal static class TensorElementTypes
{
    public static TensorElementType Of<T>() where T : unmanaged => Of(typeof(T));

    public static TensorElementType Of(Type t) =>
        t == typeof(Float16) ? TensorElementType.Float16
        : t == typeof(BFloat16) ? TensorElementType.BFloat16
        : (TensorElementType)OnnxElementTypes.Of(t);

    /// <summary>The managed type we use for an ONNX element type (System.Half for float16, ONNX Runtime's BFloat16 for bfloat16).</summary>
    public static Type ManagedType(TensorElementType t) =>
        t == TensorElementType.BFloat16 ? typeof(BFloat16) : OnnxElementTypes.ManagedType((DataType)t);
}
