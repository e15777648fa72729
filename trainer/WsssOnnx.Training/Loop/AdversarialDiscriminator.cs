using System.Globalization;
using WsssOnnx.Graph;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Graph.Training;
using WsssOnnx.Packages;
using WsssOnnx.Training.Optim;
using DataType = WsssOnnx.Onnx.TensorProto.Types.DataType;

namespace WsssOnnx.Training.Loop;

/// <summary>
/// Hung et al.'s confidence discriminator as it trains beside the segmenter: its own parameters ("disc.*"), its own Adam,
/// and its own training graph on ORT, whose inputs are the segmenter's softmax predictions (so no gradient reaches the
/// segmenter) as fake and the one-hot ground truth of <see cref="RealLabels"/> (label-smoothed if asked) as real. The official code leaves out the
/// ignored pixels (255) of ground-truth maps, fake and real alike, and counts every pixel of a prediction on an image
/// without ground truth as fake; <see cref="GroundTruth"/> says which images of the batch have it.
/// </summary>
public sealed class AdversarialDiscriminator : IDisposable
{
    public const string Probabilities = "probabilities", Labels = "labels", GroundTruth = "ground_truth", RealLabels = "real_labels";

    private const string FirstMomentPrefix = "adam_m/", SecondMomentPrefix = "adam_v/", StepsKey = "discriminator_adam_steps";

    private readonly GraphStepper _stepper;

    /// <param name="probabilities">The fake batch: softmax maps [N, K, H, W].</param>
    /// <param name="labels">The fake batch's label maps [N, H, W] (only their 255s matter, on ground-truth images).</param>
    /// <param name="groundTruth">[N]: 1 where the fake batch's image trains on its ground truth, else 0.</param>
    /// <param name="realLabels">The real batch: ground-truth label maps [N', H, W], 255 ignored.</param>
    public AdversarialDiscriminator(AdversarialTrainingOptions options, HostTensor<float> probabilities, HostTensor<long> labels, HostTensor<float> groundTruth,
        HostTensor<long> realLabels, int seed, int threads)
    {
        Options = options.Validate();
        long n = labels.Shape[0], classes = probabilities.Shape[1], h = labels.Shape[1], w = labels.Shape[2];
        var g = new GraphBuilder("discriminator_train");
        var fake = g.Input(Probabilities, DataType.Float, [n, classes, h, w]);
        var fakeLabels = g.Input(Labels, DataType.Int64, [n, h, w]);
        var labelled = g.Reshape(g.Input(GroundTruth, DataType.Float, [n]), n, 1, 1, 1);
        var real = g.Input(RealLabels, DataType.Int64, [realLabels.Shape[0], h, w]);
        var fakeLogits = ConfidenceDiscriminator.Build(g, fake, options.DiscriminatorWidth, seed);
        Value realLogits;
        using (g.ShareParameters()) realLogits = ConfidenceDiscriminator.Build(g, AdversarialLosses.RealInput(g, real, classes, options.RealLabelSmoothing), options.DiscriminatorWidth, seed);
        // w_fake = [ground truth] [label != 255] + (1 - [ground truth]); w_real = [label != 255]
        var fakeWeights = labelled * Counted(g, fakeLabels) + (g.Scalar(1f) - labelled);
        var loss = AdversarialLosses.Discriminator(g, fakeLogits, realLogits, fakeWeights, Counted(g, real));
        var spec = TrainingGraph.Append(g, loss);
        Parameters = new ParameterStore(g);
        _stepper = new GraphStepper(g, spec, Parameters,
            [(Probabilities, probabilities, null), (Labels, null, labels), (GroundTruth, groundTruth, null), (RealLabels, null, realLabels)], threads);
        Optimizer = new Adam(options.DiscriminatorBeta1, options.DiscriminatorBeta2);
    }

    public AdversarialTrainingOptions Options { get; }

    /// <summary>The discriminator's weights, which the segmenter's graph reads in place (its "disc.*" inputs).</summary>
    public ParameterStore Parameters { get; }

    public Adam Optimizer { get; }

    /// <summary>[label != 255] as floats [N, 1, H, W]: the pixels of a label map that count.</summary>
    public static Value Counted(GraphBuilder g, Value labels) =>
        g.Cast(g.Not(g.Equal(g.Unsqueeze(labels, 1), g.Constant(new HostTensor<long>([SeedLosses.Unlabelled])))), DataType.Float);

    /// <summary>One Adam step on L_D for the batches now in the bound tensors; returns L_D before the step.</summary>
    public float Step(float learningRate) => _stepper.Step(Optimizer, _ => learningRate);

    /// <summary>The parameters and Adam's moments as checkpoint tensors, and Adam's step count.</summary>
    public (Dictionary<string, HostTensor<float>> Tensors, Dictionary<string, string> State) Checkpoint()
    {
        var tensors = new Dictionary<string, HostTensor<float>>(Parameters.Tensors, StringComparer.Ordinal);
        foreach (var (name, moments) in Optimizer.State)
        {
            tensors[FirstMomentPrefix + name] = new HostTensor<float>(moments.First, Parameters.Tensors[name].Shape);
            tensors[SecondMomentPrefix + name] = new HostTensor<float>(moments.Second, Parameters.Tensors[name].Shape);
        }
        long steps = Optimizer.State.Values.Select(m => m.Steps).DefaultIfEmpty(0).Max();
        return (tensors, new Dictionary<string, string> { [StepsKey] = steps.ToString(CultureInfo.InvariantCulture) });
    }

    /// <summary>Restores what <see cref="Checkpoint"/> saved.</summary>
    /// <exception cref="InvalidDataException">A parameter is missing or has another shape (the checkpoint is not of this discriminator).</exception>
    public void Restore(IReadOnlyDictionary<string, HostTensor<float>> tensors, IReadOnlyDictionary<string, string> state)
    {
        Parameters.Load(tensors.Where(kv => Parameters.Tensors.ContainsKey(kv.Key)).ToDictionary(), requireAll: true);
        long steps = state.TryGetValue(StepsKey, out var s) ? long.Parse(s, CultureInfo.InvariantCulture) : 0;
        var moments = new Dictionary<string, Adam.Moments>(StringComparer.Ordinal);
        foreach (var name in Parameters.Tensors.Keys)
        {
            if (tensors.TryGetValue(FirstMomentPrefix + name, out var m) && tensors.TryGetValue(SecondMomentPrefix + name, out var v))
                moments[name] = new Adam.Moments(m.Data, v.Data) { Steps = steps };
        }
        Optimizer.Restore(moments);
    }

    public void Dispose() => _stepper.Dispose();
}
