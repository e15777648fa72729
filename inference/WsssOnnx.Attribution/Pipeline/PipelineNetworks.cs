namespace WsssOnnx.Attribution.Pipeline;

/// <summary>The networks <see cref="PackagePipeline.Open"/> loads besides the classifier, each only if the package has it.</summary>
[Flags]
public enum PipelineNetworks
{
    Classifier = 0,
    Climber = 1,
    Segmenter = 2,
    Boundary = 4,
    Fickle = 8,
    All = Climber | Segmenter | Boundary | Fickle,
}
