namespace WsssOnnx.Attribution.Pipeline;

/// <summary>
/// The label maps made from class maps: seeds (background threshold, argmax), seeds refined by dense CRF, IRN's
/// confident labels (255 = unsure), IRN's random walk over the package's boundary network.
/// </summary>
public enum PseudoLabelKind
{
    Seeds,
    Crf,
    Confident,
    RandomWalk,
}
