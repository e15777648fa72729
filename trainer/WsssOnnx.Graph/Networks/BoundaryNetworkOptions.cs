using static WsssOnnx.Graph.Networks.OptionRules;

namespace WsssOnnx.Graph.Networks;

/// <summary>
/// IRN's class-boundary branch (net/resnet50_irn.py, fc_edge1..6): defaults are IRN's, 32 channels a stage in 4 groups,
/// on a frozen output-stride-16 backbone (statistics and affine frozen, no stage trained).
/// </summary>
public sealed record BoundaryNetworkOptions
{
    public ResNetOptions Backbone { get; init; } = new()
    {
        Depth = 18,
        Width = 16,
        Layout = ResNetLayout.OutputStride16,
        TrainableStages = ResNetStages.None,
        BatchNorm = new BatchNormOptions { Mode = BatchNormMode.Frozen, TrainAffine = false },
    };

    /// <summary>Channels each stage is reduced to before the concatenation.</summary>
    public int BranchChannels { get; init; } = 32;

    /// <summary>Group-norm groups of each reduction.</summary>
    public int Groups { get; init; } = 4;

    public int Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and its allowed range.</summary>
    public BoundaryNetworkOptions Validate()
    {
        Require(Backbone is not null, nameof(Backbone), "must be set", Backbone);
        Backbone!.Validate();
        Require(Backbone.TrainableStages == ResNetStages.None && Backbone.BatchNorm.Mode != BatchNormMode.Training, nameof(Backbone),
            "must be frozen (no trainable stage, frozen or folded batch norm), as IRN trains the branch only", Backbone.TrainableStages);
        Require(Groups is >= 1 and <= 64, nameof(Groups), "must be between 1 and 64", Groups);
        Require(BranchChannels is >= 1 and <= 1024 && BranchChannels % Groups == 0, nameof(BranchChannels), $"must be between 1 and 1024 and divisible by {nameof(Groups)}", BranchChannels);
        return this;
    }
}
