using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using WsssOnnx.Onnx;
using WsssOnnx.Packages;
using WsssOnnx.Packages.Onnx;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Graph;

/// <summary>A named initializer; trainable ones are what the optimiser updates and what gradients are taken for.</summary>
public sealed record Parameter(string Name, Value Value, bool Trainable);

/// <summary>
/// Builds an ONNX graph (opset 17) op by op, tracking element types and shapes, so that networks read like the
/// papers' diagrams. Identical pure nodes are created once (common subexpressions are shared), constants are
/// de-duplicated, and <see cref="ToModel"/> writes only what the outputs need.
/// </summary>
public sealed partial class GraphBuilder
{
    public const int Opset = 17;
    public const long IrVersion = 8;

    private readonly List<GraphNode> _nodes = [];
    private readonly List<Value> _inputs = [];
    private readonly List<(Value Value, string Name)> _outputs = [];
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly List<Parameter> _parameters = [];
    private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GraphNode> _cse = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Value> _constants = new(StringComparer.Ordinal);
    private readonly Stack<string> _scopes = new();
    private int _counter;

    public GraphBuilder(string name) => Name = name;

    public string Name { get; }

    public IReadOnlyList<GraphNode> Nodes => _nodes;

    public IReadOnlyList<Value> Inputs => _inputs;

    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Names of the graph outputs so far.</summary>
    public IEnumerable<string> Outputs => _outputs.Select(o => o.Name);

    public IEnumerable<Parameter> TrainableParameters => _parameters.Where(p => p.Trainable);

    /// <summary>Prefixes parameter and node names created inside the returned scope ("layer1.0.conv1.weight").</summary>
    public IDisposable Scope(string name)
    {
        _scopes.Push(name);
        return new ScopeExit(this);
    }

    private sealed class ScopeExit(GraphBuilder owner) : IDisposable
    {
        public void Dispose() => owner._scopes.Pop();
    }

    private string Scoped(string name) =>
        _scopes.Count == 0 ? name : string.Join(".", _scopes.Reverse()) + "." + name;

    private string Fresh(string stem)
    {
        string name;
        do name = $"{Scoped(stem)}_{_counter++}";
        while (_values.ContainsKey(name));
        return name;
    }

    public Value Get(string name) =>
        _values.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"no value named '{name}' in graph {Name}");

    /// <summary>A graph input; -1 in <paramref name="shape"/> is a run-time dimension, named by <paramref name="symbols"/> if given.</summary>
    public Value Input(string name, DataType type, long[] shape, string?[]? symbols = null)
    {
        var v = Register(new Value(this, name, type, (long[])shape.Clone(), null));
        _inputs.Add(v);
        if (symbols is not null) _symbols[name] = symbols;
        return v;
    }

    private readonly Dictionary<string, string?[]> _symbols = new(StringComparer.Ordinal);

    private int _sharing;

    /// <summary>
    /// Inside the returned scope, <see cref="Parameter"/> returns the existing parameter of that name (same shape)
    /// instead of refusing it: a network built again on another input shares the first build's weights, and autodiff
    /// sums both uses' gradients (ECS-Net's erased-image branch).
    /// </summary>
    public IDisposable ShareParameters()
    {
        _sharing++;
        return new SharingExit(this);
    }

    /// <summary>Whether a <see cref="ShareParameters"/> scope is open (batch normalisation then leaves running statistics to the first build).</summary>
    public bool IsSharingParameters => _sharing > 0;

    private sealed class SharingExit(GraphBuilder owner) : IDisposable
    {
        public void Dispose() => owner._sharing--;
    }

    /// <summary>A float initializer named in the current scope.</summary>
    public Value Parameter(string name, HostTensor<float> initial, bool trainable = true)
    {
        string full = Scoped(name);
        if (_sharing > 0 && _parameters.FirstOrDefault(p => p.Name == full) is { } shared)
        {
            if (!shared.Value.Shape.SequenceEqual(initial.Shape) || shared.Trainable != trainable)
                throw new InvalidOperationException($"parameter '{full}' is shared with another shape or trainability");
            return shared.Value;
        }
        if (_initializers.ContainsKey(full)) throw new InvalidOperationException($"parameter '{full}' already exists");
        var v = Register(new Value(this, full, DataType.Float, (long[])initial.Shape.Clone(), null));
        _initializers[full] = TensorProtoWriter.Write(initial, full);
        _parameters.Add(new Parameter(full, v, trainable));
        return v;
    }

    /// <summary>Replaces a parameter's value (e.g. trained weights) keeping its shape.</summary>
    public void SetParameter(string name, HostTensor<float> value)
    {
        var p = _parameters.FirstOrDefault(q => q.Name == name) ?? throw new KeyNotFoundException($"no parameter '{name}'");
        if (!p.Value.Shape.SequenceEqual(value.Shape))
            throw new ArgumentException($"parameter '{name}' has shape [{string.Join(", ", p.Value.Shape)}], not [{string.Join(", ", value.Shape)}]");
        _initializers[name] = TensorProtoWriter.Write(value, name);
    }

    /// <summary>The current value of a parameter's initializer.</summary>
    public HostTensor<float> ParameterValue(string name) =>
        _initializers.TryGetValue(name, out var t) ? TensorProtoReader.Read<float>(t) : throw new KeyNotFoundException($"no parameter '{name}'");

    /// <summary>A constant (de-duplicated by content).</summary>
    public Value Constant<T>(HostTensor<T> value) where T : unmanaged
    {
        var proto = TensorProtoWriter.Write(value);
        string key = proto.ToByteString().ToBase64();
        if (_constants.TryGetValue(key, out var existing)) return existing;
        string name = Fresh("const");
        proto.Name = name;
        _initializers[name] = proto;
        var v = Register(new Value(this, name, (DataType)proto.DataType, (long[])value.Shape.Clone(), null));
        _constants[key] = v;
        return v;
    }

    /// <summary>The content of an initializer (constant or parameter), or null if <paramref name="v"/> is computed.</summary>
    public T[]? ConstantValue<T>(Value v) where T : unmanaged =>
        v.Producer is null && _initializers.TryGetValue(v.Name, out var t) ? TensorProtoReader.Read<T>(t).Data : null;

    /// <summary>A rank-0 float constant.</summary>
    public Value Scalar(float value) => Constant(new HostTensor<float>([value]));

    /// <summary>A 1-D int64 constant (shapes, axes, pads).</summary>
    public Value Ints(params long[] values) => Constant(new HostTensor<long>(values, values.Length));

    /// <summary>Marks <paramref name="value"/> as a graph output named <paramref name="name"/>.</summary>
    public Value Output(Value value, string name)
    {
        if (value.Name != name)
        {
            if (_values.ContainsKey(name)) throw new InvalidOperationException($"output name '{name}' is already used");
            value = Op("Identity", [value], [], (_, _) => [(value.Type, value.Shape)], outputNames: [name])[0];
        }
        _outputs.Add((value, name));
        return value;
    }

    /// <summary>A node whose outputs autodiff treats as constants (AdvCAM's scale g and mask M).</summary>
    public Value StopGradient(Value x)
    {
        var node = new GraphNode(Fresh("StopGradient"), "Identity", [x], []) { StopsGradient = true };
        var y = Register(new Value(this, Fresh("sg"), x.Type, x.Shape, node));
        node.Outputs = [y];
        _nodes.Add(node);
        return y;
    }

    internal delegate (DataType Type, long[] Shape)[] ShapeRule(Value?[] inputs, GraphNode node);

    /// <summary>
    /// Adds a node (or returns the identical one made before) and its outputs with the types and shapes that
    /// <paramref name="infer"/> gives.
    /// </summary>
    internal Value[] Op(string opType, Value?[] inputs, AttributeProto[] attributes, ShapeRule infer, string[]? outputNames = null, int outputs = 1)
    {
        foreach (var input in inputs)
        {
            if (input is not null && !ReferenceEquals(input.Owner, this))
                throw new ArgumentException($"{opType}: input '{input.Name}' belongs to another graph");
        }
        string? key = null;
        if (outputNames is null)
        {
            var sb = new StringBuilder(opType).Append('|');
            foreach (var i in inputs) sb.Append(i?.Name).Append(',');
            foreach (var a in attributes) sb.Append('|').Append(a.ToByteString().ToBase64());
            key = sb.Append('|').Append(outputs).ToString();
            if (_cse.TryGetValue(key, out var same)) return [.. same.Outputs];
        }

        var node = new GraphNode(Fresh(opType), opType, inputs, attributes);
        var types = infer(inputs, node);
        int count = outputNames?.Length ?? outputs;
        if (types.Length < count) throw new InvalidOperationException($"{opType}: shape rule gave {types.Length} outputs, {count} needed");
        var values = new Value[count];
        for (int k = 0; k < count; k++)
            values[k] = Register(new Value(this, outputNames?[k] ?? Fresh(opType.ToLowerInvariant()), types[k].Type, types[k].Shape, node));
        node.Outputs = values;
        _nodes.Add(node);
        if (key is not null) _cse[key] = node;
        return values;
    }

    private Value Register(Value v)
    {
        if (!_values.TryAdd(v.Name, v)) throw new InvalidOperationException($"value name '{v.Name}' is already used in graph {Name}");
        return v;
    }

    /// <summary>
    /// The ONNX model: nodes needed by the outputs (unused branches pruned), in creation order (which is topological),
    /// with the initializers they read. StopGradient nodes become Identity.
    /// </summary>
    /// <remarks>
    /// With <paramref name="parametersAsInputs"/>, every parameter is a graph input instead of an initializer: a training
    /// graph is fed the current weights each step (pinned buffers, no copy) rather than rebuilt.
    /// </remarks>
    public ModelProto ToModel(string producer = "wsss-onnx", IEnumerable<KeyValuePair<string, string>>? metadata = null, bool parametersAsInputs = false)
    {
        if (_outputs.Count == 0) throw new InvalidOperationException($"graph {Name} has no outputs");
        var needed = new HashSet<string>(_outputs.Select(o => o.Value.Name), StringComparer.Ordinal);
        var keep = new bool[_nodes.Count];
        for (int n = _nodes.Count - 1; n >= 0; n--)
        {
            if (!_nodes[n].Outputs.Any(o => needed.Contains(o.Name))) continue;
            keep[n] = true;
            foreach (var i in _nodes[n].Inputs)
                if (i is not null) needed.Add(i.Name);
        }

        var graph = new GraphProto { Name = Name };
        foreach (var input in _inputs) graph.Input.Add(ValueInfo(input, input.Name));
        var parameterNames = _parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        if (parametersAsInputs)
            foreach (var p in _parameters)
                if (needed.Contains(p.Name)) graph.Input.Add(ValueInfo(p.Value, p.Name));
        foreach (var (name, tensor) in _initializers)
            if (needed.Contains(name) && !(parametersAsInputs && parameterNames.Contains(name))) graph.Initializer.Add(tensor);
        for (int n = 0; n < _nodes.Count; n++)
        {
            if (!keep[n]) continue;
            var node = _nodes[n];
            var proto = new NodeProto { Name = node.Name, OpType = node.OpType };
            proto.Input.AddRange(node.Inputs.Select(i => i?.Name ?? string.Empty));
            // Trailing outputs nothing reads are left out (ONNX optional outputs, e.g. MaxPool's indices; TopK's are required).
            int used = node.Outputs.Count;
            while (used > 1 && node.OpType != "TopK" && !needed.Contains(node.Outputs[used - 1].Name)) used--;
            proto.Output.AddRange(node.Outputs.Take(used).Select(o => o.Name));
            proto.Attribute.AddRange(node.Attributes);
            graph.Node.Add(proto);
        }
        foreach (var (value, name) in _outputs) graph.Output.Add(ValueInfo(value, name));
        // Types and build-time shapes of intermediate values: ONNX shape inference (and the checker's strict mode)
        // cross-checks them, and readers of the file see every tensor's shape.
        var declared = new HashSet<string>(graph.Input.Select(i => i.Name).Concat(graph.Output.Select(o => o.Name)), StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var o in node.Output)
                if (declared.Add(o)) graph.ValueInfo.Add(ValueInfo(_values[o], o));

        var model = new ModelProto { IrVersion = IrVersion, ProducerName = producer, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        if (metadata is not null)
            foreach (var (k, v) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return model;
    }

    private ValueInfoProto ValueInfo(Value value, string name)
    {
        var shape = new TensorShapeProto();
        _symbols.TryGetValue(value.Name, out var symbols);
        for (int d = 0; d < value.Rank; d++)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            if (value.Shape[d] >= 0) dim.DimValue = value.Shape[d];
            else if (symbols is not null && d < symbols.Length && symbols[d] is { } s) dim.DimParam = s;
            shape.Dim.Add(dim);
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)value.Type, Shape = shape } },
        };
    }

    public byte[] ToBytes(bool parametersAsInputs = false) => ToModel(parametersAsInputs: parametersAsInputs).ToByteArray();

    /// <summary>Sets every parameter named in <paramref name="values"/> (e.g. trained weights read from a model file).</summary>
    public void SetParameters(IReadOnlyDictionary<string, HostTensor<float>> values)
    {
        foreach (var (name, value) in values) SetParameter(name, value);
    }
}
