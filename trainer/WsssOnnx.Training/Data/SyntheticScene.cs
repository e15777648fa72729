using WsssOnnx.Datasets;
using WsssOnnx.Imaging;

namespace WsssOnnx.Training.Data;

/// <summary>
/// Renders one synthetic image (SYNTHETIC.md describes the design). Layers, back to front: a gradient background with
/// low-frequency colour noise, distractor shapes, decoy badges, then the objects, each an irregular textured body with
/// its class's badge inside; later objects occlude earlier ones. Everything is drawn from one <see cref="Random"/>, so an
/// image is a function of its seed.
/// </summary>
internal sealed class SyntheticScene
{
    /// <summary>
    /// Badge rim colours with their hues in turns. A class's rim is the one nearest the hue opposite its body's mean hue,
    /// so a badge stands out on its own body; with more than six classes some classes share a rim colour.
    /// </summary>
    private static readonly (Rgb Colour, float Hue)[] BadgeRims =
    [
        (new(225, 35, 35), 0f), (new(240, 205, 25), 0.14f), (new(35, 175, 65), 0.37f),
        (new(25, 195, 215), 0.52f), (new(35, 80, 225), 0.63f), (new(205, 45, 200), 0.84f),
    ];

    // Cores alternate between classes, so two classes sharing a rim differ in colour pair when their indices differ in parity.
    private static readonly Rgb LightCore = new(245, 245, 240), DarkCore = new(25, 25, 30);

    // Rejection-sampling limits for placing an object and its badge.
    private const int PlacementAttempts = 40, BadgeAttempts = 30;

    // An earlier object must keep this much of its in-image body and of its badge when a later one is placed over it.
    private const float MinVisibleFraction = 0.45f, MinBadgeVisibleFraction = 0.8f;

    // Object counts n = 1..MaxObjects are drawn with weights CountDecay^(n−1).
    private const double CountDecay = 0.65;

    // Probability that a later object is placed beside an earlier one rather than anywhere.
    private const double NearProbability = 0.5;

    // A body must keep this much of its area inside the image.
    private const float MinInImageFraction = 0.7f;

    private readonly SyntheticDatasetOptions options;
    private readonly Random random;
    private readonly int width, height, pixelCount;
    private readonly float side, scale;
    private readonly float[] red, green, blue;
    private readonly byte[] instance, badgeOwner;
    private readonly List<Placed> placed = [];

    private sealed record Placed(int Class, BlobShape Body, BadgeShape Badge, int InImageArea, int BadgeArea);

    private SyntheticScene(SyntheticDatasetOptions options, int seed)
    {
        this.options = options;
        random = new Random(seed);
        (width, height) = (options.Width, options.Height);
        pixelCount = width * height;
        side = Math.Min(width, height);
        scale = side / 160f;
        (red, green, blue) = (new float[pixelCount], new float[pixelCount], new float[pixelCount]);
        (instance, badgeOwner) = (new byte[pixelCount], new byte[pixelCount]);
    }

    /// <summary>Image <paramref name="index"/> of a split (0 train, 1 val) of the set <paramref name="options"/> describes.</summary>
    public static SyntheticImage Render(SyntheticDatasetOptions options, int split, int index) =>
        new SyntheticScene(options, ImageSeed(options.Seed, split, index)).Render();

    /// <summary>The seed of one image: SplitMix64's finaliser over (seed, split, index), so images are independent streams.</summary>
    internal static int ImageSeed(int seed, int split, int index)
    {
        ulong z = ((ulong)(uint)seed << 32 | (ulong)(uint)split << 30 | (uint)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }

    /// <summary>The partner class of <paramref name="c"/> for co-occurrence: pairs (0, 1), (2, 3), ...; an unpaired last class pairs with 0.</summary>
    internal static int Partner(int c, int classes) => (c ^ 1) < classes ? c ^ 1 : 0;

    private SyntheticImage Render()
    {
        PaintBackground();
        int distractors = options.MaxDistractors == 0 ? 0 : random.Next(Math.Min(3, options.MaxDistractors), options.MaxDistractors + 1);
        for (int i = 0; i < distractors; i++) PaintDistractor();
        int decoys = 0;
        for (int i = 0; i < options.MaxDecoys; i++)
            if (random.NextDouble() < options.DecoyProbability)
            {
                PaintDecoy();
                decoys++;
            }

        List<int> planned = PlanClasses();
        int dropped = 0;
        foreach (int c in planned)
            if (!TryPlace(c)) dropped++;

        GrayImage labels = Labels(out int foreground, out int ignored);
        return new SyntheticImage(ToImage(), labels, new SyntheticImageStats(Describe(), foreground, ignored, decoys, dropped));
    }

    private List<int> PlanClasses()
    {
        // Object counts 1..max with weights CountDecay^(n−1); classes from a mildly imbalanced prior (class 0 weight 1, the
        // last 0.6), then partners and repeats of classes already present.
        int max = options.MaxObjects;
        double total = 0, u;
        for (int n = 1; n <= max; n++) total += Math.Pow(CountDecay, n - 1);
        u = random.NextDouble() * total;
        int count = 1;
        for (double acc = 1; count < max && u >= acc; count++) acc += Math.Pow(CountDecay, count);

        List<int> classes = [PriorClass()];
        while (classes.Count < count)
        {
            double v = random.NextDouble();
            int present = classes[random.Next(classes.Count)];
            classes.Add(v < options.RepeatClass ? present
                : v < options.RepeatClass + options.CoOccurrence ? Partner(present, options.Classes)
                : PriorClass());
        }
        return classes;
    }

    private int PriorClass()
    {
        int c = options.Classes;
        if (c == 1) return 0;
        double total = 0;
        for (int k = 0; k < c; k++) total += 1 - 0.4 * k / (c - 1);
        double u = random.NextDouble() * total;
        for (int k = 0; k < c; k++)
        {
            u -= 1 - 0.4 * k / (c - 1);
            if (u < 0) return k;
        }
        return c - 1;
    }

    private bool TryPlace(int c)
    {
        byte owner = (byte)(placed.Count + 1);
        var body = new List<int>();
        int[] covered = new int[placed.Count + 1], badgeCovered = new int[placed.Count + 1];
        for (int attempt = 0; attempt < PlacementAttempts; attempt++)
        {
            // Later attempts try smaller bodies, and the last ones nearer the centre, so the first object always fits.
            float shrink = attempt < 20 ? 1f : attempt < 30 ? 0.8f : 0.65f;
            float diameter = side * Uniform((float)options.MinObjectSize, (float)options.MaxObjectSize) * shrink;
            float radius = diameter / 2;
            (float cx, float cy) = attempt >= 30 ? (Uniform(0.4f, 0.6f) * width, Uniform(0.4f, 0.6f) * height)
                : placed.Count > 0 && random.NextDouble() < NearProbability ? Near(placed[random.Next(placed.Count)].Body, radius)
                : (Uniform(0.25f * radius, width - 0.25f * radius), Uniform(0.25f * radius, height - 0.25f * radius));
            BlobShape blob = BlobShape.Random(random, cx, cy, radius);

            body.Clear();
            Array.Clear(covered);
            Array.Clear(badgeCovered);
            (int x0, int y0, int x1, int y1) = blob.Bounds(width, height);
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                    if (blob.Distance(x + 0.5f, y + 0.5f) < 0)
                    {
                        int p = y * width + x;
                        body.Add(p);
                        covered[instance[p]]++;
                        badgeCovered[badgeOwner[p]]++;
                    }
            if (body.Count < MinInImageFraction * blob.Area) continue;
            bool hidesEarlier = false;
            for (int i = 0; i < placed.Count && !hidesEarlier; i++)
                hidesEarlier = Visible(i + 1) - covered[i + 1] < MinVisibleFraction * placed[i].InImageArea
                    || BadgeVisible(i + 1) - badgeCovered[i + 1] < MinBadgeVisibleFraction * placed[i].BadgeArea;
            if (hidesEarlier) continue;

            float badgeRadius = Math.Max(options.MinBadgePixels, diameter * Uniform((float)options.MinBadgeSize, (float)options.MaxBadgeSize)) / 2;
            BadgeShape? badge = null;
            for (int t = 0; t < BadgeAttempts && badge is null; t++)
            {
                int p = body[random.Next(body.Count)];
                float bx = p % width + random.NextSingle(), by = p / width + random.NextSingle();
                bool inside = blob.Distance(bx, by) <= -(1.1f * badgeRadius + 1)
                    && bx - badgeRadius >= 1 && bx + badgeRadius <= width - 1 && by - badgeRadius >= 1 && by + badgeRadius <= height - 1;
                if (inside) badge = new BadgeShape(c, bx, by, badgeRadius, Uniform(-0.17f, 0.17f));
            }
            if (badge is null) continue;

            PaintFill(blob, BodyTexture(c, blob), owner);
            if (options.BodySignature > 0) PaintSignature(blob, c, owner);
            (Rgb rim, Rgb core) = BadgeColours(c);
            if (options.BodyEcho > 0) PaintEchoes(blob, badge, rim, core, owner);
            int badgeArea = PaintBadge(badge, rim, core, owner);
            placed.Add(new Placed(c, blob, badge, body.Count, badgeArea));
            return true;
        }
        return false;
    }

    // A later object beside an earlier one: centres (r1 + r2) · U(0.45, 0.9) apart, so the two usually overlap, as a
    // rider overlaps a horse; clamped so the body stays mostly inside the image.
    private (float X, float Y) Near(SyntheticShape earlier, float radius)
    {
        (float sin, float cos) = MathF.SinCos(Uniform(0, 2 * MathF.PI));
        float distance = (earlier.Extent + radius) * Uniform(0.45f, 0.9f);
        return (Math.Clamp(earlier.X + distance * cos, 0.25f * radius, width - 0.25f * radius),
            Math.Clamp(earlier.Y + distance * sin, 0.25f * radius, height - 0.25f * radius));
    }

    private int Visible(int owner) => instance.AsSpan().Count((byte)owner);

    private int BadgeVisible(int owner) => badgeOwner.AsSpan().Count((byte)owner);

    private List<SyntheticObject> Describe()
    {
        var objects = new List<SyntheticObject>(placed.Count);
        for (int i = 0; i < placed.Count; i++)
        {
            byte owner = (byte)(i + 1);
            int xMin = width, yMin = height, xMax = -1, yMax = -1;
            for (int p = 0; p < pixelCount; p++)
                if (instance[p] == owner)
                {
                    int x = p % width, y = p / width;
                    (xMin, xMax, yMin, yMax) = (Math.Min(xMin, x), Math.Max(xMax, x), Math.Min(yMin, y), Math.Max(yMax, y));
                }
            Placed o = placed[i];
            objects.Add(new SyntheticObject(o.Class, (int)MathF.Round(o.Body.Area), o.InImageArea, Visible(owner), o.BadgeArea, BadgeVisible(owner),
                xMin + 1, yMin + 1, xMax + 1, yMax + 1));
        }
        return objects;
    }

    // ---- painting ----

    private void Blend(int p, float alpha, Rgb colour)
    {
        red[p] += alpha * (colour.R - red[p]);
        green[p] += alpha * (colour.G - green[p]);
        blue[p] += alpha * (colour.B - blue[p]);
    }

    /// <summary>Fills a shape; with an owner, its mask pixels become that object's and hide earlier badges.</summary>
    private void PaintFill(SyntheticShape shape, SyntheticTexture texture, byte owner = 0)
    {
        (int x0, int y0, int x1, int y1) = shape.Bounds(width, height);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                float d = shape.Distance(x + 0.5f, y + 0.5f);
                if (d >= 0.5f) continue;
                int p = y * width + x;
                Blend(p, SyntheticShape.Coverage(d), texture.At(x + 0.5f, y + 0.5f));
                if (owner != 0 && d < 0)
                {
                    instance[p] = owner;
                    badgeOwner[p] = 0;
                }
            }
    }

    /// <summary>Adds class <paramref name="c"/>'s signature to the pixels of the body just painted for <paramref name="owner"/>.</summary>
    private void PaintSignature(SyntheticShape shape, int c, byte owner)
    {
        float amplitude = (float)options.BodySignature * SignatureLevels;
        (int x0, int y0, int x1, int y1) = shape.Bounds(width, height);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                int p = y * width + x;
                if (instance[p] != owner || shape.Distance(x + 0.5f, y + 0.5f) >= 0) continue;
                float s = amplitude * Signature(c, options.Classes, side, x + 0.5f, y + 0.5f);
                red[p] += s;
                green[p] += s;
                blue[p] += s;
            }
    }

    /// <summary>
    /// Class <paramref name="c"/>'s signature at (x, y), in [−1, 1]: two gratings 60° apart, a plaid that no texture has
    /// (stripes are one grating, checks two at 90°), the first at <see cref="SignatureAngle"/>.
    /// </summary>
    internal static float Signature(int c, int classes, float side, float x, float y)
    {
        float angle = SignatureAngle(c, classes), frequency = 2 * MathF.PI / (SignaturePeriod * side / 224f);
        (float sin, float cos) = MathF.SinCos(angle);
        (float sin2, float cos2) = MathF.SinCos(angle + MathF.PI / 3);
        return 0.5f * (MathF.Sin(frequency * (x * cos + y * sin)) + MathF.Sin(frequency * (x * cos2 + y * sin2)));
    }

    /// <summary>Period in pixels at 224 px of the body signature gratings (textures have 5.6 to 17 px).</summary>
    internal const float SignaturePeriod = 5f;

    /// <summary>Amplitude in 8-bit levels of the body signature at <see cref="SyntheticDatasetOptions.BodySignature"/> 1.</summary>
    internal const float SignatureLevels = 40f;

    /// <summary>The angle of class <paramref name="c"/>'s signature grating: classes spaced evenly over half a turn, between the body stripe means.</summary>
    internal static float SignatureAngle(int c, int classes) => MathF.PI * (c + 0.5f) / classes;

    /// <summary>
    /// Prints faint copies of <paramref name="badge"/> at opacity <see cref="SyntheticDatasetOptions.BodyEcho"/> over the
    /// body just painted for <paramref name="owner"/>: a hexagonal lattice of spacing <see cref="EchoSpacing"/> badge
    /// diameters centred on the real badge (which is left for <see cref="PaintBadge"/>), keeping copies wholly inside the body.
    /// </summary>
    private void PaintEchoes(BlobShape body, BadgeShape badge, Rgb rim, Rgb core, byte owner)
    {
        float spacing = EchoSpacing * 2 * badge.Radius, alpha = (float)options.BodyEcho;
        int reach = (int)MathF.Ceiling(body.Extent * 2 / spacing) + 1;
        for (int j = -reach; j <= reach; j++)
            for (int i = -reach; i <= reach; i++)
            {
                if (i == 0 && j == 0) continue;
                float x = badge.X + spacing * (i + 0.5f * (j & 1)), y = badge.Y + spacing * j * (MathF.Sqrt(3) / 2);
                if (body.Distance(x, y) > -(1.1f * badge.Radius + 1)) continue;
                PaintBadge(new BadgeShape(badge.Design, x, y, badge.Radius, badge.Angle), rim, core, owner, echoOpacity: alpha);
            }
    }

    /// <summary>Distance between neighbouring badge echoes, in badge diameters (copies then cover about a fifth of a body).</summary>
    internal const float EchoSpacing = 2f;

    /// <summary>
    /// Draws a two-tone badge (a rim of about a quarter of its radius around a core); returns the pixels it claims for its
    /// owner. With <paramref name="echoOpacity"/>, a faint copy instead: blended at that opacity on <paramref name="owner"/>'s
    /// pixels only, claiming none.
    /// </summary>
    private int PaintBadge(SyntheticShape shape, Rgb rim, Rgb core, byte owner = 0, float? echoOpacity = null)
    {
        float rimWidth = 0.27f * shape.Extent;
        int claimed = 0;
        (int x0, int y0, int x1, int y1) = shape.Bounds(width, height);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                float d = shape.Distance(x + 0.5f, y + 0.5f);
                if (d >= 0.5f) continue;
                int p = y * width + x;
                Rgb colour = Rgb.Lerp(rim, core, SyntheticShape.Coverage(d + rimWidth));
                if (echoOpacity is { } opacity)
                {
                    if (instance[p] == owner) Blend(p, opacity * SyntheticShape.Coverage(d), colour);
                    continue;
                }
                Blend(p, SyntheticShape.Coverage(d), colour);
                if (owner != 0 && d < 0 && instance[p] == owner)
                {
                    badgeOwner[p] = owner;
                    claimed++;
                }
            }
        return claimed;
    }

    private void PaintBackground()
    {
        float hue = random.NextSingle();
        Rgb from = Rgb.FromHsv(hue, Uniform(0, 0.35f), Uniform(0.25f, 0.8f));
        Rgb to = Rgb.FromHsv(hue + 0.15f * Normal(), Uniform(0, 0.35f), Uniform(0.25f, 0.8f));
        (float gy, float gx) = MathF.SinCos(Uniform(0, 2 * MathF.PI));

        // Low-frequency colour noise: a 5 × 5 grid of offsets per channel, bilinearly interpolated.
        const int grid = 5;
        float[] offsets = new float[3 * grid * grid];
        for (int i = 0; i < offsets.Length; i++) offsets[i] = Uniform(-18, 18);
        bool stripes = random.NextDouble() < 0.3;
        (float ss, float sc) = MathF.SinCos(Uniform(0, MathF.PI));
        float stripeFrequency = 2 * MathF.PI / (scale * Uniform(8, 24)), stripeAmplitude = Uniform(4, 10);

        for (int y = 0; y < height; y++)
        {
            float gyf = (y + 0.5f) / height * (grid - 1);
            int gy0 = Math.Min((int)gyf, grid - 2);
            float fy = gyf - gy0;
            for (int x = 0; x < width; x++)
            {
                float gxf = (x + 0.5f) / width * (grid - 1);
                int gx0 = Math.Min((int)gxf, grid - 2);
                float fx = gxf - gx0;
                float t = Math.Clamp(0.5f + ((x - width / 2f) * gx + (y - height / 2f) * gy) / side, 0, 1);
                Rgb c = Rgb.Lerp(from, to, t);
                float stripe = stripes ? stripeAmplitude * MathF.Sin(stripeFrequency * (x * sc + y * ss)) : 0;
                int p = y * width + x;
                red[p] = c.R + stripe + Bilinear(offsets, 0, gx0, gy0, fx, fy);
                green[p] = c.G + stripe + Bilinear(offsets, 1, gx0, gy0, fx, fy);
                blue[p] = c.B + stripe + Bilinear(offsets, 2, gx0, gy0, fx, fy);
            }
        }

        static float Bilinear(float[] offsets, int channel, int x, int y, float fx, float fy)
        {
            int b = channel * grid * grid + y * grid + x;
            float top = offsets[b] + fx * (offsets[b + 1] - offsets[b]);
            float bottom = offsets[b + grid] + fx * (offsets[b + grid + 1] - offsets[b + grid]);
            return top + fy * (bottom - top);
        }
    }

    /// <summary>A background shape whose size and texture come from one distribution for all classes.</summary>
    private void PaintDistractor()
    {
        float x = Uniform(0, width), y = Uniform(0, height);
        double kind = random.NextDouble();
        // One in five is body-sized: a textured blob without a badge, so size and texture do not make an object.
        SyntheticShape shape = kind < 0.2 ? BlobShape.Random(random, x, y, side * Uniform(0.15f, 0.3f))
            : kind < 0.5 ? BlobShape.Random(random, x, y, side * Uniform(0.04f, 0.15f))
            : kind < 0.8 ? new BoxShape(x, y, side * Uniform(0.03f, 0.15f), side * Uniform(0.03f, 0.15f), Uniform(0, MathF.PI))
            : new BoxShape(x, y, side * Uniform(0.15f, 0.45f), scale * Uniform(1.5f, 4f), Uniform(0, MathF.PI));
        PaintFill(shape, DistractorTexture(shape));
    }

    /// <summary>
    /// A badge-sized background patch that shares one cue with a class's badge but not both: its colours on an
    /// elongated blob (no design is one), or its design in muted colours. Colour or shape alone is thus not enough.
    /// </summary>
    private void PaintDecoy()
    {
        int c = random.Next(options.Classes);
        float radius = Math.Max(options.MinBadgePixels / 2f, side * Uniform(0.035f, 0.07f));
        float x = Uniform(radius, width - radius), y = Uniform(radius, height - radius);
        if (random.NextDouble() < 0.5)
        {
            var blob = new BlobShape(x, y, radius, Uniform(0.35f, 0.6f), Uniform(0, MathF.PI), [(3, Uniform(0, 0.08f), Uniform(0, 2 * MathF.PI))]);
            (Rgb rim, Rgb core) = BadgeColours(c);
            PaintBadge(blob, rim, core);
        }
        else
        {
            var shape = new BadgeShape(c, x, y, radius, Uniform(-0.17f, 0.17f));
            PaintBadge(shape, Rgb.FromHsv(random.NextSingle(), Uniform(0.05f, 0.35f), Uniform(0.3f, 0.8f)),
                Rgb.FromHsv(random.NextSingle(), Uniform(0.05f, 0.35f), Uniform(0.3f, 0.8f)));
        }
    }

    // ---- appearance distributions ----

    /// <summary>
    /// A body's texture: hue, stripe angle and pattern lean towards class-specific values (hue c/C, angle πc/C, pattern
    /// c mod 3) with spreads of <see cref="SyntheticDatasetOptions.BodyCueSpread"/> class spacings, so neighbouring
    /// classes overlap and a body alone is only mildly telling.
    /// </summary>
    private SyntheticTexture BodyTexture(int c, SyntheticShape shape)
    {
        float classes = options.Classes, spread = (float)options.BodyCueSpread;
        float hue = BodyHue(c, options.Classes) + spread / classes * Normal();
        float saturation = Uniform(0.3f, 0.7f), value = Uniform(0.45f, 0.85f);
        var pattern = (TexturePattern)(1 + (random.NextDouble() < 0.5 ? c % 3 : random.Next(3)));
        float angle = MathF.PI * c / classes + spread * MathF.PI / classes * Normal();
        return new SyntheticTexture(pattern, Rgb.FromHsv(hue, saturation, value),
            Rgb.FromHsv(hue + 0.04f * Normal(), saturation * Uniform(0.7f, 1.2f), value * Uniform(0.45f, 0.75f)),
            angle, scale * Uniform(5, 11), Uniform(0.35f, 0.8f), shape, Uniform(0, 2 * MathF.PI), Uniform(0.1f, 0.3f));
    }

    /// <summary>A distractor's texture: the same families as bodies with every parameter uniform, plus flat fills.</summary>
    private SyntheticTexture DistractorTexture(SyntheticShape shape)
    {
        float hue = random.NextSingle(), saturation = Uniform(0.1f, 0.7f), value = Uniform(0.3f, 0.9f);
        return new SyntheticTexture((TexturePattern)random.Next(4), Rgb.FromHsv(hue, saturation, value),
            Rgb.FromHsv(hue + 0.04f * Normal(), saturation * Uniform(0.7f, 1.2f), value * Uniform(0.45f, 0.75f)),
            Uniform(0, MathF.PI), scale * Uniform(4, 12), Uniform(0.2f, 0.8f), shape, Uniform(0, 2 * MathF.PI), Uniform(0, 0.3f));
    }

    /// <summary>Class <paramref name="c"/>'s rim and core colours, jittered per instance.</summary>
    private (Rgb Rim, Rgb Core) BadgeColours(int c) =>
        (Jitter(BadgeRims[RimOf(c, options.Classes)].Colour), Jitter(c % 2 == 0 ? LightCore : DarkCore));

    /// <summary>The hue (turns) of class <paramref name="c"/>'s rim colour.</summary>
    internal static float RimHue(int c, int classes) => BadgeRims[RimOf(c, classes)].Hue;

    private static int RimOf(int c, int classes)
    {
        float opposite = BodyHue(c, classes) + 0.5f;
        opposite -= MathF.Floor(opposite);
        int best = 0;
        for (int i = 1; i < BadgeRims.Length; i++)
            if (HueDistance(BadgeRims[i].Hue, opposite) < HueDistance(BadgeRims[best].Hue, opposite)) best = i;
        return best;

        static float HueDistance(float a, float b) => MathF.Min(MathF.Abs(a - b), 1 - MathF.Abs(a - b));
    }

    /// <summary>The mean body hue of class <paramref name="c"/> in turns: classes spaced evenly around the hue circle.</summary>
    internal static float BodyHue(int c, int classes) => (c + 0.3f) / classes;

    private Rgb Jitter(Rgb colour)
    {
        float brightness = Uniform(0.88f, 1.08f);
        return new Rgb((colour.R + Uniform(-12, 12)) * brightness, (colour.G + Uniform(-12, 12)) * brightness, (colour.B + Uniform(-12, 12)) * brightness);
    }

    // ---- output ----

    private GrayImage Labels(out int foreground, out int ignored)
    {
        byte[] raw = new byte[pixelCount];
        for (int p = 0; p < pixelCount; p++)
            raw[p] = instance[p] == 0 ? (byte)0 : (byte)(placed[instance[p] - 1].Class + 1);

        // Boundary band: pixels with a differently labelled 4-neighbour, then grown by radius − 1 (Chebyshev).
        byte[] labels = (byte[])raw.Clone();
        int r = options.BoundaryIgnoreRadius;
        if (r > 0)
        {
            var edge = new bool[pixelCount];
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int p = y * width + x;
                    byte v = raw[p];
                    edge[p] = (x > 0 && raw[p - 1] != v) || (x < width - 1 && raw[p + 1] != v)
                        || (y > 0 && raw[p - width] != v) || (y < height - 1 && raw[p + width] != v);
                }
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    if (!edge[y * width + x]) continue;
                    for (int yy = Math.Max(0, y - r + 1); yy <= Math.Min(height - 1, y + r - 1); yy++)
                        for (int xx = Math.Max(0, x - r + 1); xx <= Math.Min(width - 1, x + r - 1); xx++)
                            labels[yy * width + xx] = VocClasses.IgnoreLabel;
                }
        }
        ignored = labels.AsSpan().Count(VocClasses.IgnoreLabel);
        foreground = pixelCount - ignored - labels.AsSpan().Count((byte)0);
        return new GrayImage(width, height, labels);
    }

    private RgbImage ToImage()
    {
        // Per-pixel noise: the sum of three uniforms (variance 1/12 each, so sd 1/2 in all), scaled to NoiseSigma. The
        // uniforms are 21-bit slices of one xorshift64* draw per sample: Random would cost more than the rest of the scene.
        float sigma = (float)options.NoiseSigma * 2 / (1 << 21);
        ulong state = (ulong)random.NextInt64() | 1;
        var image = new RgbImage(width, height);
        byte[] rgb = image.Pixels;
        for (int p = 0; p < pixelCount; p++)
        {
            rgb[3 * p] = Quantise(red[p], ref state);
            rgb[3 * p + 1] = Quantise(green[p], ref state);
            rgb[3 * p + 2] = Quantise(blue[p], ref state);
        }
        return image;

        byte Quantise(float v, ref ulong state)
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            ulong bits = state * 0x2545F4914F6CDD1DUL;
            const ulong mask = (1 << 21) - 1;
            float sum = (bits & mask) + (bits >> 21 & mask) + (bits >> 42 & mask) - 1.5f * (1 << 21);
            return (byte)Math.Clamp(MathF.Round(v + sigma * sum), 0, 255);
        }
    }

    private float Uniform(float low, float high) => BlobShape.Uniform(random, low, high);

    // Standard normal by Box–Muller.
    private float Normal() => MathF.Sqrt(-2 * MathF.Log(1 - random.NextSingle())) * MathF.Cos(2 * MathF.PI * random.NextSingle());
}
