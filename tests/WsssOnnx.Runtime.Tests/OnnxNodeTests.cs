using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime.Tensors;
using WsssOnnx.Runtime.Onnx;
using Xunit.Abstractions;

namespace WsssOnnx.Runtime.Tests;

/// <summary>
/// ONNX's own node tests (Debian libonnx-testdata: model.onnx + input_i.pb / output_i.pb per data set) run through
/// our runtime layer, for every operator family our networks, gradient graphs and objectives use.
/// </summary>
public sealed class OnnxNodeTests(ITestOutputHelper output)
{
    private const string NodeTestRoot = "/usr/share/libonnx-testdata/data/node";

    // The ONNX backend test runner's default tolerance: |actual - expected| <= atol + rtol * |expected|.
    private const double RelativeTolerance = 1e-3;
    private const double AbsoluteTolerance = 1e-7;

    /// <summary>Operator family -> pattern over the test folder names (after "test_").</summary>
    private static readonly Dictionary<string, string> Families = new()
    {
        ["Conv"] = "^conv(_|$)",
        ["ConvTranspose"] = "^convtranspose",
        ["BatchNormalization"] = "^batchnorm",
        ["Relu"] = "^relu$",
        ["MaxPool"] = "^maxpool",
        ["AveragePool"] = "^averagepool",
        ["GlobalAveragePool"] = "^globalaveragepool",
        ["GlobalMaxPool"] = "^globalmaxpool",
        ["Add"] = "^add(_|$)",
        ["Sub"] = "^sub(_|$)",
        ["Mul"] = "^mul(_|$)",
        ["Div"] = "^div(_|$)",
        ["MatMul"] = "^matmul(_|$)",
        ["Gemm"] = "^gemm",
        ["Resize"] = "^resize",
        ["Concat"] = "^concat",
        ["Slice"] = "^slice",
        ["Pad"] = "^(constant|edge|reflect)_pad",
        ["Transpose"] = "^transpose",
        ["Reshape"] = "^reshape",
        ["Flatten"] = "^flatten",
        ["Squeeze"] = "^squeeze",
        ["Unsqueeze"] = "^unsqueeze",
        ["Expand"] = "^expand",
        ["Tile"] = "^tile",
        ["Gather"] = "^gather_",
        ["Shape"] = "^shape",
        ["Cast"] = "^cast_",
        ["ReduceSum"] = "^reduce_sum_(default|do_not|keepdims|negative|empty)",
        ["ReduceMean"] = "^reduce_mean",
        ["ReduceMax"] = "^reduce_max",
        ["ReduceMin"] = "^reduce_min",
        ["ArgMax"] = "^argmax",
        ["Where"] = "^where",
        ["Greater"] = "^greater",
        ["Less"] = "^less",
        ["Equal"] = "^equal",
        ["Not"] = "^not_",
        ["Sigmoid"] = "^sigmoid",
        ["Softmax"] = "^softmax",
        ["LogSoftmax"] = "^logsoftmax",
        ["Softplus"] = "^softplus",
        ["Log"] = "^log(_|$)",
        ["Exp"] = "^exp(_|$)",
        ["Abs"] = "^abs$",
        ["Neg"] = "^neg",
        ["Sqrt"] = "^sqrt",
        ["Pow"] = "^pow",
        ["Reciprocal"] = "^reciprocal",
        ["Max"] = "^max_",
        ["Min"] = "^min_",
        ["Sum"] = "^sum_",
        ["Clip"] = "^clip",
        ["Identity"] = "^identity$",
        ["ConstantOfShape"] = "^constantofshape",
        ["Range"] = "^range",
        ["Loop"] = "^loop\\d+",
        ["NegativeLogLikelihoodLoss"] = "^nllloss",
        ["SoftmaxCrossEntropyLoss"] = "^sce",
    };

    /// <summary>
    /// Node tests that are skipped, each with its reason: ORT 1.29's CPU provider has no kernel for some element types
    /// (our graphs use float32, int64 and bool), and two expectations of onnx 1.12 disagree with ORT on a mode we do not use.
    /// </summary>
    private static readonly Dictionary<string, string> UnsupportedByOrt = new()
    {
        ["test_max_int16"] = "ORT's CPU provider has no int16 Max kernel",
        ["test_max_uint16"] = "ORT's CPU provider has no uint16 Max kernel",
        ["test_min_int16"] = "ORT's CPU provider has no int16 Min kernel",
        ["test_min_uint16"] = "ORT's CPU provider has no uint16 Min kernel",
        ["test_pow_types_float32_uint32"] = "ORT's CPU provider has no Pow kernel with a uint32 exponent",
        ["test_pow_types_float32_uint64"] = "ORT's CPU provider has no Pow kernel with a uint64 exponent",
        ["test_cast_BFLOAT16_to_FLOAT"] = "onnx 1.12's test data stores the bfloat16 input as a uint16 tensor (numpy has no bfloat16)",
        ["test_cast_FLOAT_to_BFLOAT16"] = "onnx 1.12's test data stores the bfloat16 output as a uint16 tensor (numpy has no bfloat16)",
        // Input 2x4, scales 0.6 -> output 1x2. onnx 1.12's reference maps x_out * (len_in - 1) / (len_out - 1) with the
        // unrounded len_out = len_in * scale (= 2.4); ORT uses the integer output length (= 2). We only use half_pixel.
        ["test_resize_downsample_scales_cubic_align_corners"] = "onnx 1.12's reference uses the unrounded output length for align_corners; ORT uses the integer one",
        ["test_resize_downsample_scales_linear_align_corners"] = "onnx 1.12's reference uses the unrounded output length for align_corners; ORT uses the integer one",
    };

    public static TheoryData<string> FamilyNames() => new(Families.Keys);

    [Theory]
    [MemberData(nameof(FamilyNames))]
    public void Node_tests_pass_through_our_runtime_layer(string family)
    {
        Assert.True(Directory.Exists(NodeTestRoot), $"{NodeTestRoot} is missing: scripts/setup.sh installs libonnx-testdata");
        var pattern = new Regex(Families[family]);
        var cases = Directory.GetDirectories(NodeTestRoot)
            .Select(Path.GetFileName)
            .Where(name => name!.StartsWith("test_", StringComparison.Ordinal) && pattern.IsMatch(name[5..]))
            .Order(StringComparer.Ordinal)
            .ToArray();

        int ran = 0, passed = 0;
        var failures = new List<string>();
        var skips = new List<string>();
        foreach (var name in cases)
        {
            string? skip = null, failure = null;
            try
            {
                RunCase(Path.Combine(NodeTestRoot, name!), out skip);
            }
            catch (Exception e)
            {
                failure = $"{name}: {e.GetType().Name}: {e.Message}";
            }
            if (skip is not null)
            {
                skips.Add($"{name}: {skip}");
                continue;
            }
            ran++;
            if (failure is null) passed++;
            else failures.Add(failure);
        }

        output.WriteLine($"{family}: {cases.Length} node tests, ran {ran}, passed {passed}, skipped {skips.Count}");
        foreach (var s in skips) output.WriteLine($"  skipped {s}");
        foreach (var f in failures) output.WriteLine($"  FAILED {f}");
        Assert.True(ran > 0, $"no {family} node test ran");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Runs every data set of one node test; <paramref name="skip"/> is set (with the reason) instead of running.</summary>
    private static void RunCase(string directory, out string? skip)
    {
        if (UnsupportedByOrt.TryGetValue(Path.GetFileName(directory), out skip)) return;
        using var session = ModelSession.Load(File.ReadAllBytes(Path.Combine(directory, "model.onnx")), Path.GetFileName(directory),
            new SessionConfig { WarmUp = false, IntraOpThreads = 1 });
        if (session.Inputs.Concat(session.Outputs).FirstOrDefault(s => !s.IsTensor) is { } nonTensor)
        {
            skip = $"'{nonTensor.Name}' is a sequence or optional value; our models use tensors only";
            return;
        }
        if (session.Inputs.Concat(session.Outputs).FirstOrDefault(s => s.ElementType == TensorElementType.String) is { } text)
        {
            skip = $"'{text.Name}' is a string tensor; our models use numeric tensors only";
            return;
        }

        foreach (var dataSet in Directory.GetDirectories(directory, "test_data_set_*").Order(StringComparer.Ordinal))
        {
            // input_i.pb / output_i.pb are positional: the i-th graph input (initializers excluded) / output.
            var inputs = session.Inputs.Select((signature, i) =>
            {
                var tensor = TensorData.ReadFile(Path.Combine(dataSet, $"input_{i}.pb"));
                return SessionInput.CreateUntyped(signature.Name, tensor.Data, tensor.Shape);
            }).ToList();
            try
            {
                using var results = session.Run(inputs);
                for (int i = 0; i < session.Outputs.Count; i++)
                {
                    var expected = TensorData.ReadFile(Path.Combine(dataSet, $"output_{i}.pb"));
                    var (actual, shape, type) = results.ToHostUntyped(session.Outputs[i].Name);
                    string where = $"{Path.GetFileName(dataSet)} output '{session.Outputs[i].Name}'";
                    if (type != expected.ElementType) throw new InvalidDataException($"{where}: element type {type}, expected {expected.ElementType}");
                    if (!shape.SequenceEqual(expected.Shape))
                        throw new InvalidDataException($"{where}: shape [{string.Join(",", shape)}], expected [{string.Join(",", expected.Shape)}]");
                    CompareValues(actual, expected.Data, where);
                }
            }
            finally
            {
                foreach (var input in inputs) input.Dispose();
            }
        }
    }

    private static void CompareValues(Array actual, Array expected, string where)
    {
        for (int k = 0; k < actual.Length; k++)
        {
            object a = actual.GetValue(k)!, e = expected.GetValue(k)!;
            bool ok = (a, e) switch
            {
                (float x, float y) => Close(x, y),
                (double x, double y) => Close(x, y),
                (Half x, Half y) => Close((double)x, (double)y),
                _ => a.Equals(e),
            };
            if (!ok) throw new InvalidDataException($"{where}: element {k} is {a}, expected {e}");
        }
    }

    private static bool Close(double a, double e) =>
        (double.IsNaN(a) && double.IsNaN(e)) || a == e || Math.Abs(a - e) <= AbsoluteTolerance + RelativeTolerance * Math.Abs(e);
}
