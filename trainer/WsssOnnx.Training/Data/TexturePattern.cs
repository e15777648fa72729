namespace WsssOnnx.Training.Data;

/// <summary>The periodic pattern mixing a texture's two colours.</summary>
internal enum TexturePattern
{
    Flat,
    Stripes,
    Dots,
    Checker,
}
