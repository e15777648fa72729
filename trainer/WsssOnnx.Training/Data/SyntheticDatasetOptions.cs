namespace WsssOnnx.Training.Data;

/// <summary>
/// Parameters of <see cref="SyntheticDatasetGenerator"/>. Sizes of objects are fractions of the image's shorter side,
/// sizes of badges fractions of their object's diameter. SYNTHETIC.md explains each knob's role in making the task
/// weakly supervised.
/// </summary>
public sealed record SyntheticDatasetOptions
{
    /// <summary>Seed of the whole set; image i of a split draws from its own stream seeded by (Seed, split, i).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Images listed in train.txt (0 to 1,000,000; default 2000).</summary>
    public int TrainImages { get; init; } = 2000;

    /// <summary>Images listed in val.txt (0 to 1,000,000; default 500). Val images do not depend on <see cref="TrainImages"/>.</summary>
    public int ValImages { get; init; } = 500;

    /// <summary>Image width in pixels (64 to 1024; default 224: a 14 × 14 class map at stride 16).</summary>
    public int Width { get; init; } = 224;

    /// <summary>Image height in pixels (64 to 1024; default 224).</summary>
    public int Height { get; init; } = 224;

    /// <summary>Foreground classes C (1 to <see cref="SyntheticDatasetGenerator.MaxClasses"/>; default 8).</summary>
    public int Classes { get; init; } = 8;

    /// <summary>Most objects in one image (1 to 6; default 3). Counts 1..max are drawn with weights 1, 0.65, 0.65², ...</summary>
    public int MaxObjects { get; init; } = 3;

    /// <summary>Smallest body diameter as a fraction of the shorter side (0.1 to <see cref="MaxObjectSize"/>; default 0.35).</summary>
    public double MinObjectSize { get; init; } = 0.35;

    /// <summary>Largest body diameter as a fraction of the shorter side (<see cref="MinObjectSize"/> to 0.9; default 0.8).</summary>
    public double MaxObjectSize { get; init; } = 0.8;

    /// <summary>Smallest badge diameter as a fraction of its body's diameter (0.05 to <see cref="MaxBadgeSize"/>; default 0.14).</summary>
    public double MinBadgeSize { get; init; } = 0.14;

    /// <summary>Largest badge diameter as a fraction of its body's diameter (<see cref="MinBadgeSize"/> to 0.5; default 0.20).</summary>
    public double MaxBadgeSize { get; init; } = 0.20;

    /// <summary>Floor on a badge's diameter in pixels, so its shape survives JPEG and a stride-4 stem (6 to 64; default 15).</summary>
    public int MinBadgePixels { get; init; } = 15;

    /// <summary>
    /// Spread of the class-dependent body texture statistics, in units of the spacing between class means
    /// (0 to 10; default 1.0). 0 makes bodies nearly as telling as badges; large values make them uninformative.
    /// </summary>
    public double BodyCueSpread { get; init; } = 1.0;

    /// <summary>
    /// Contrast of a class-specific signature overlaid on object bodies only (0 to 1; default 0, none): a fine luminance
    /// plaid (two gratings 60° apart, period <see cref="SyntheticScene.SignaturePeriod"/> px scaled with the image) at an
    /// angle only class c uses, of peak amplitude ±<see cref="SyntheticScene.SignatureLevels"/> × this in 8-bit levels. Distractors and decoys
    /// never carry it, and no texture is such a plaid, so it is a weak cue that lies on objects. It draws no random
    /// numbers: with it on, every pixel off the bodies keeps its value.
    /// </summary>
    public double BodySignature { get; init; }

    /// <summary>
    /// Opacity of faint copies of an object's own badge (same design, rotation and colours) printed over its body on a
    /// lattice around the real badge (0 to 1; default 0, none), so the body resembles the discriminative part weakly, as a
    /// dog's fur resembles its face in a classifier's features. Copies lie wholly inside the body and never on the real
    /// badge; distractors and decoys never carry them. Draws no random numbers: pixels off the bodies keep their values.
    /// </summary>
    public double BodyEcho { get; init; }

    /// <summary>Probability that an added object's class is the partner of a class already present (0 to 1; default 0.45).</summary>
    public double CoOccurrence { get; init; } = 0.45;

    /// <summary>Probability that an added object repeats a class already present, a second instance (0 to 1; default 0.15).</summary>
    public double RepeatClass { get; init; } = 0.15;

    /// <summary>Most background distractor shapes per image (0 to 20; default 7; at least 3 when 3 or more).</summary>
    public int MaxDistractors { get; init; } = 7;

    /// <summary>Most decoy badges per image: a class's badge colours on a non-badge shape, or its shape in non-badge colours (0 to 6; default 2).</summary>
    public int MaxDecoys { get; init; } = 2;

    /// <summary>Probability of each decoy slot being used (0 to 1; default 0.35).</summary>
    public double DecoyProbability { get; init; } = 0.35;

    /// <summary>Object boundaries marked 255 in the masks: pixels with a differently labelled 4-neighbour, dilated to this radius (0 to 3; 0 none; default 1, a 2-pixel band).</summary>
    public int BoundaryIgnoreRadius { get; init; } = 1;

    /// <summary>Standard deviation of the per-pixel noise, in 8-bit levels (0 to 50; default 3.5).</summary>
    public double NoiseSigma { get; init; } = 3.5;

    /// <summary>JPEG quality (1 to 100; default 92).</summary>
    public int JpegQuality { get; init; } = 92;

    /// <summary>Threads used; null (default) for all cores. The output does not depend on it.</summary>
    public int? MaxDegreeOfParallelism { get; init; }

    /// <summary>Replace the generated folders of an existing set at the root (default false: refuse a root that already holds one).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field outside its allowed range.</summary>
    public SyntheticDatasetOptions Validate()
    {
        Require(TrainImages is >= 0 and <= 1_000_000, nameof(TrainImages), "must be between 0 and 1000000", TrainImages);
        Require(ValImages is >= 0 and <= 1_000_000, nameof(ValImages), "must be between 0 and 1000000", ValImages);
        Require(TrainImages + ValImages > 0, nameof(TrainImages), "plus ValImages must be at least 1", TrainImages + ValImages);
        Require(Width is >= 64 and <= 1024, nameof(Width), "must be between 64 and 1024", Width);
        Require(Height is >= 64 and <= 1024, nameof(Height), "must be between 64 and 1024", Height);
        Require(Classes >= 1 && Classes <= SyntheticDatasetGenerator.MaxClasses, nameof(Classes), $"must be between 1 and {SyntheticDatasetGenerator.MaxClasses}", Classes);
        Require(MaxObjects is >= 1 and <= 6, nameof(MaxObjects), "must be between 1 and 6", MaxObjects);
        Require(MinObjectSize >= 0.1 && MinObjectSize <= MaxObjectSize, nameof(MinObjectSize), "must be between 0.1 and MaxObjectSize", MinObjectSize);
        Require(MaxObjectSize <= 0.9, nameof(MaxObjectSize), "must be between MinObjectSize and 0.9", MaxObjectSize);
        Require(MinBadgeSize >= 0.05 && MinBadgeSize <= MaxBadgeSize, nameof(MinBadgeSize), "must be between 0.05 and MaxBadgeSize", MinBadgeSize);
        Require(MaxBadgeSize <= 0.5, nameof(MaxBadgeSize), "must be between MinBadgeSize and 0.5", MaxBadgeSize);
        Require(MinBadgePixels is >= 6 and <= 64, nameof(MinBadgePixels), "must be between 6 and 64", MinBadgePixels);
        Require(BodyCueSpread is >= 0 and <= 10, nameof(BodyCueSpread), "must be between 0 and 10", BodyCueSpread);
        Require(BodySignature is >= 0 and <= 1, nameof(BodySignature), "must be between 0 and 1", BodySignature);
        Require(BodyEcho is >= 0 and <= 1, nameof(BodyEcho), "must be between 0 and 1", BodyEcho);
        Require(CoOccurrence is >= 0 and <= 1, nameof(CoOccurrence), "must be between 0 and 1", CoOccurrence);
        Require(RepeatClass is >= 0 and <= 1, nameof(RepeatClass), "must be between 0 and 1", RepeatClass);
        Require(CoOccurrence + RepeatClass <= 1, nameof(RepeatClass), "plus CoOccurrence must be at most 1", CoOccurrence + RepeatClass);
        Require(MaxDistractors is >= 0 and <= 20, nameof(MaxDistractors), "must be between 0 and 20", MaxDistractors);
        Require(MaxDecoys is >= 0 and <= 6, nameof(MaxDecoys), "must be between 0 and 6", MaxDecoys);
        Require(DecoyProbability is >= 0 and <= 1, nameof(DecoyProbability), "must be between 0 and 1", DecoyProbability);
        Require(BoundaryIgnoreRadius is >= 0 and <= 3, nameof(BoundaryIgnoreRadius), "must be between 0 and 3", BoundaryIgnoreRadius);
        Require(NoiseSigma is >= 0 and <= 50, nameof(NoiseSigma), "must be between 0 and 50", NoiseSigma);
        Require(JpegQuality is >= 1 and <= 100, nameof(JpegQuality), "must be between 1 and 100", JpegQuality);
        Require(MaxDegreeOfParallelism is null or >= 1, nameof(MaxDegreeOfParallelism), "must be at least 1 or null", MaxDegreeOfParallelism);
        // The smallest object must still have room for a badge of MinBadgePixels inside it.
        double smallest = MinObjectSize * Math.Min(Width, Height);
        Require(MinBadgePixels <= 0.5 * smallest, nameof(MinBadgePixels), $"must be at most half the smallest body diameter ({smallest:0.#} px at MinObjectSize {MinObjectSize})", MinBadgePixels);
        return this;
    }

    private static void Require(bool ok, string field, string rule, object? value)
    {
        // NaN fails every range comparison above, so it lands here too.
        if (!ok) throw new ArgumentException($"{field} {rule}; got {value ?? "null"}", field);
    }
}
