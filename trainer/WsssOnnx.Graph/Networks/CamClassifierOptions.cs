using static WsssOnnx.Graph.Networks.OptionRules;

namespace WsssOnnx.Graph.Networks;

/// <summary>IRN's CAM network (resnet50_cam.Net): defaults are its ResNet-50 at output stride 16 and VOC's 20 classes.</summary>
public sealed record CamClassifierOptions
{
    public ResNetOptions Backbone { get; init; } = new();

    /// <summary>C: foreground classes (no background channel).</summary>
    public int Classes { get; init; } = 20;

    /// <summary>Seed of the classifier's initialisation (PyTorch's default Conv2d init, as IRN leaves it).</summary>
    public int Seed { get; init; }

    /// <summary>ACoL's second, erasing head and its threshold; null: the plain CAM classifier.</summary>
    public AcolOptions? Acol { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and its allowed range.</summary>
    public CamClassifierOptions Validate()
    {
        Require(Backbone is not null, nameof(Backbone), "must be set", Backbone);
        Backbone!.Validate();
        Acol?.Validate();
        Require(Classes is >= 1 and <= 10000, nameof(Classes), "must be between 1 and 10000", Classes);
        return this;
    }
}
