namespace WsssOnnx.Cli;

/// <summary>Which label map relabel writes: seeds (background threshold, argmax), seeds refined by dense CRF, or IRN's confident labels (255 = unsure).</summary>
internal enum LabelMode
{
    Seeds,
    Crf,
    Confident,
}
