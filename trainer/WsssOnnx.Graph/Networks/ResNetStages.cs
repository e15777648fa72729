namespace WsssOnnx.Graph.Networks;

/// <summary>The parts of a ResNet whose parameters can be trained or frozen independently.</summary>
[Flags]
public enum ResNetStages
{
    None = 0,

    /// <summary>conv1 and bn1.</summary>
    Stem = 1,
    Layer1 = 2,
    Layer2 = 4,
    Layer3 = 8,
    Layer4 = 16,
    All = Stem | Layer1 | Layer2 | Layer3 | Layer4,
}
