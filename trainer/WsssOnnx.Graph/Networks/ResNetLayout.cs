namespace WsssOnnx.Graph.Networks;

/// <summary>Where a ResNet trades stride for dilation.</summary>
public enum ResNetLayout
{
    /// <summary>
    /// IRN's resnet50 with strides (2, 2, 2, 1): conv1 2, maxpool 2, layer2 2, layer3 2, layer4 1, no dilation;
    /// features at output stride 16.
    /// </summary>
    OutputStride16,

    /// <summary>DeepLab-v2: layer3 and layer4 at stride 1 with dilation 2 and 4 in every block; output stride 8.</summary>
    DilatedOutputStride8,

    /// <summary>The ImageNet classifiers' own layout: every stage from layer2 on halves the size; output stride 32.</summary>
    OutputStride32,
}
