using System.Globalization;
using WsssOnnx.Attribution.Climbing;
using WsssOnnx.Attribution.Crf;

namespace WsssOnnx.Server;

/// <summary>
/// The work one attribution request asks for, in pixel-passes, known before any network runs:
/// <code>
/// climbing = Σ_s round(W·s)·round(H·s) · T · copies     copies = 2 (one image + flip pair) for CAM, 2·P for AdvCAM
///            (FickleNet: T = 1 and copies = 2 · (1 + N / 6), N selections each re-running the last block)
/// CRF      = W·H · (P + 1) · iterations · passes          passes = 1 for CRF labels, 2 for confident labels
/// walk     = W·H · 2 · (P + 1)                            random-walk labels only
/// </code>
/// with P the request's classes, T the steps and s its scales. Both terms grow with time and peak memory alike; on the
/// bundled model with one ORT thread a climbing pixel-pass and a CRF pixel-label-iteration both take about 0.2 µs of
/// one core (docs/service.md, "Request cost"), so the two are added unweighted. The random walk's term is in the same unit: the
/// boundary network reads the image and its mirror (2·W·H, as CAM), and 256 sparse steps over ~70 neighbours on the
/// stride-4 grid take about as long per class as another such pass (`wsss-perf random-walk`: 500x375, 2 classes, 72 ms).
/// </summary>
public readonly record struct RequestCost(double Climbing, double Crf, double RandomWalk = 0)
{
    public double Total => Climbing + Crf + RandomWalk;

    /// <param name="crfPasses">Dense-CRF runs over the image: 1 for CRF labels, 2 more for confident labels.</param>
    /// <param name="randomWalk">The request wants random-walk labels.</param>
    /// <param name="fickleSamples">FickleNet's selections N (0: not FickleNet).</param>
    public static RequestCost Of(int width, int height, AdvCamOptions options, int classes, int crfPasses, int crfIterations = 10, bool randomWalk = false,
        int fickleSamples = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        double pixels = 0;
        foreach (float scale in options.Scales)
            pixels += Math.Max(1, Math.Round(width * (double)scale)) * Math.Max(1, Math.Round(height * (double)scale));
        // Plain CAM reads one shared (image, flip) pair for every class; AdvCAM climbs one pair per class.
        double copies = options.Steps == 1 ? 2 : 2.0 * classes;
        // A FickleNet selection re-runs ResNet-50's last 3x3 and 1x1 convolutions: 3.5 of its 21 GMAC per pixel-pass, about 1/6.
        if (fickleSamples > 0) copies *= 1 + fickleSamples / 6.0;
        double climbing = pixels * options.Steps * copies;
        double crf = (double)width * height * (classes + 1) * crfIterations * crfPasses;
        double walk = randomWalk ? 2.0 * width * height * (classes + 1) : 0;
        return new RequestCost(climbing, crf, walk);
    }

    /// <summary>The CRF iterations every service CRF runs (IRN's t = 10).</summary>
    public static int CrfIterations { get; } = new DenseCrfOptions().Iterations;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Total:0.###e0} pixel-passes (climbing {Climbing:0.###e0}, CRF {Crf:0.###e0}{(RandomWalk > 0 ? $", random walk {RandomWalk:0.###e0}" : "")})");
}
