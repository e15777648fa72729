namespace WsssOnnx.Graph.Networks;

/// <summary>The segmenter's head on the dilated backbone.</summary>
public enum DeepLabHead
{
    /// <summary>DeepLab-v2's ASPP-L: parallel 3x3 atrous convolutions straight to the classes, summed.</summary>
    DeepLabV2,

    /// <summary>
    /// DeepLab-v3's ASPP (Chen et al. 2017, section 3.3): a 1x1 branch, 3x3 atrous branches and image-level pooling, each
    /// with batch normalisation and ReLU, concatenated, fused by a 1x1 convolution, then a 1x1 classifier.
    /// </summary>
    DeepLabV3,
}
