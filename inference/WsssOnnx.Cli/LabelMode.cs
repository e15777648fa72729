namespace WsssOnnx.Cli;

/// <summary>
/// Which label map relabel writes: seeds (background threshold, argmax), seeds refined by dense CRF, IRN's confident
/// labels (255 = unsure), or IRN's random walk over the package's boundary network ("rw").
/// </summary>
internal enum LabelMode
{
    Seeds,
    Crf,
    Confident,
    Rw,
}
