using Google.Protobuf;
using WsssOnnx.Graph;
using WsssOnnx.Onnx;
using WsssOnnx.Packages;
using WsssOnnx.Packages.Onnx;

namespace WsssOnnx.Training.Loop;

/// <summary>
/// The network's parameters (trainable weights and batch-norm statistics) as managed tensors that training and
/// evaluation graphs read in place, plus checkpoints of them and of the optimiser's momentum.
/// </summary>
public sealed class ParameterStore
{
    private const string VelocityPrefix = "velocity/";

    /// <summary>Tensors a checkpoint carries beside this network's (a second network's and its optimiser's: the adversarial discriminator).</summary>
    private const string AuxiliaryPrefix = "auxiliary/";

    public ParameterStore(GraphBuilder graph) =>
        Tensors = graph.Parameters.ToDictionary(p => p.Name, p => graph.ParameterValue(p.Name), StringComparer.Ordinal);

    public Dictionary<string, HostTensor<float>> Tensors { get; }

    /// <summary>Copies values into the existing buffers (shapes must match); unknown names are an error.</summary>
    public void Load(IReadOnlyDictionary<string, HostTensor<float>> values, bool requireAll = false)
    {
        foreach (var (name, value) in values)
        {
            if (!Tensors.TryGetValue(name, out var target))
                throw new InvalidDataException($"parameter '{name}' is not in this network");
            if (!target.Shape.SequenceEqual(value.Shape))
                throw new InvalidDataException($"parameter '{name}' has shape [{string.Join(", ", value.Shape)}]; the network expects [{string.Join(", ", target.Shape)}]");
            value.Data.CopyTo(target.Data, 0);
        }
        if (requireAll && Tensors.Keys.FirstOrDefault(k => !values.ContainsKey(k)) is { } missing)
            throw new InvalidDataException($"parameter '{missing}' is missing");
    }

    /// <summary>
    /// Loads the <paramref name="values"/> whose name and shape match a parameter (pretrained weights for a network with
    /// a new head); returns how many. None matching is an error: the names are not torchvision's or the network differs.
    /// </summary>
    public int LoadMatching(IReadOnlyDictionary<string, HostTensor<float>> values)
    {
        var matching = values.Where(kv => Tensors.TryGetValue(kv.Key, out var t) && t.Shape.SequenceEqual(kv.Value.Shape)).ToDictionary();
        if (matching.Count == 0)
            throw new InvalidDataException("none of the initial weights matches a parameter of this network by name and shape (expected torchvision-style names such as layer1.0.conv1.weight)");
        Load(matching);
        return matching.Count;
    }

    /// <summary>
    /// Writes parameters, momentum and progress to <paramref name="path"/> (an ONNX TensorProto container), with the
    /// <paramref name="auxiliary"/> tensors of what trains beside this network, which loading hands back apart.
    /// </summary>
    public void SaveCheckpoint(string path, IReadOnlyDictionary<string, float[]> velocity, IReadOnlyDictionary<string, string> state,
        IReadOnlyDictionary<string, HostTensor<float>>? auxiliary = null)
    {
        var graph = new GraphProto { Name = "checkpoint" };
        foreach (var (name, t) in Tensors) graph.Initializer.Add(TensorProtoWriter.Write(t, name));
        foreach (var (name, v) in velocity) graph.Initializer.Add(TensorProtoWriter.Write(new HostTensor<float>(v, Tensors[name].Shape), VelocityPrefix + name));
        foreach (var (name, t) in auxiliary ?? new Dictionary<string, HostTensor<float>>()) graph.Initializer.Add(TensorProtoWriter.Write(t, AuxiliaryPrefix + name));
        var model = new ModelProto { IrVersion = GraphBuilder.IrVersion, ProducerName = "wsss-train checkpoint", Graph = graph };
        foreach (var (k, v) in state) model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        ModelFile.Write(model, path);
    }

    /// <summary>
    /// Loads a checkpoint written by <see cref="SaveCheckpoint"/>; returns the momentum buffers, the saved state and the
    /// auxiliary tensors (empty when none were saved; export reads the network alone).
    /// </summary>
    public (Dictionary<string, float[]> Velocity, Dictionary<string, string> State, Dictionary<string, HostTensor<float>> Auxiliary) LoadCheckpoint(string path)
    {
        var model = ModelFile.Read(path);
        var all = ModelFile.FloatInitializers(model);
        static bool Own(string name) => !name.StartsWith(VelocityPrefix, StringComparison.Ordinal) && !name.StartsWith(AuxiliaryPrefix, StringComparison.Ordinal);
        Load(all.Where(kv => Own(kv.Key)).ToDictionary(), requireAll: true);
        var velocity = all.Where(kv => kv.Key.StartsWith(VelocityPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[VelocityPrefix.Length..], kv => kv.Value.Data, StringComparer.Ordinal);
        var auxiliary = all.Where(kv => kv.Key.StartsWith(AuxiliaryPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[AuxiliaryPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        return (velocity, model.MetadataProps.ToDictionary(p => p.Key, p => p.Value), auxiliary);
    }
}
