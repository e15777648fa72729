using WsssOnnx.Datasets;
using WsssOnnx.Imaging;
using WsssOnnx.Training.Data;
using Xunit.Abstractions;

namespace WsssOnnx.Training.Tests.Data;

public sealed class SyntheticDatasetGeneratorTests(ITestOutputHelper output) : IDisposable
{
    private readonly List<string> roots = [];

    public void Dispose()
    {
        foreach (string root in roots)
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    private string NewRoot()
    {
        string root = Path.Combine(Path.GetTempPath(), "wsss-synthetic-" + Guid.NewGuid().ToString("N"));
        roots.Add(root);
        return root;
    }

    private static Dictionary<string, byte[]> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes);

    [Fact]
    public void Same_seed_gives_identical_bytes_whatever_the_thread_count()
    {
        var options = new SyntheticDatasetOptions { Seed = 7, TrainImages = 10, ValImages = 4 };
        string a = NewRoot(), b = NewRoot(), c = NewRoot();

        SyntheticDatasetGenerator.Generate(a, options with { MaxDegreeOfParallelism = 1 });
        SyntheticDatasetGenerator.Generate(b, options with { MaxDegreeOfParallelism = 3 });
        SyntheticDatasetGenerator.Generate(c, options with { Seed = 8 });

        Dictionary<string, byte[]> first = Files(a), second = Files(b), other = Files(c);
        Assert.Equal(3 * 14 + 5, first.Count); // jpg, xml, png per image; three lists, classes.txt, synthetic.json
        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        foreach ((string name, byte[] bytes) in first)
            Assert.True(bytes.AsSpan().SequenceEqual(second[name]), $"{name} differs between two runs with seed 7");
        Assert.False(first[Path.Combine("JPEGImages", "train_000000.jpg")].AsSpan().SequenceEqual(other[Path.Combine("JPEGImages", "train_000000.jpg")]));
    }

    [Fact]
    public void Val_images_do_not_depend_on_the_train_count()
    {
        string a = NewRoot(), b = NewRoot();
        SyntheticDatasetGenerator.Generate(a, new SyntheticDatasetOptions { TrainImages = 2, ValImages = 2 });
        SyntheticDatasetGenerator.Generate(b, new SyntheticDatasetOptions { TrainImages = 5, ValImages = 2 });

        string val = Path.Combine("JPEGImages", "val_000001.jpg");
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, val)), File.ReadAllBytes(Path.Combine(b, val)));
    }

    [Fact]
    public void The_layout_reads_back_through_VocDataset_at_the_configured_size()
    {
        // Not square, so a swapped width and height would show.
        var options = new SyntheticDatasetOptions { TrainImages = 12, ValImages = 5, Width = 176, Height = 144, Classes = 5 };
        string root = NewRoot();
        SyntheticDatasetGenerator.Generate(root, options);

        VocDataset train = VocDataset.Open(root, "train", new VocDatasetOptions { RequireMasks = true });
        VocDataset val = VocDataset.Open(root, "val", new VocDatasetOptions { RequireMasks = true });
        VocDataset trainval = VocDataset.Open(root, "trainval");

        Assert.Equal(SyntheticDatasetGenerator.Classes(5).All, train.Classes.All);
        Assert.Equal(["disc", "triangle", "square", "plus", "ring"], train.Classes.Foreground);
        Assert.Equal(12, train.Samples.Count);
        Assert.Equal(5, val.Samples.Count);
        Assert.Equal(train.Samples.Concat(val.Samples).Select(s => s.Id), trainval.Samples.Select(s => s.Id));
        Assert.Equal("val_000004", val.Samples[^1].Id);
        foreach (VocSample sample in train.Samples.Concat(val.Samples))
        {
            RgbImage image = train.LoadImage(sample);
            GrayImage mask = train.LoadMask(sample);
            Assert.Equal((176, 144), (image.Width, image.Height));
            Assert.Equal((176, 144), (mask.Width, mask.Height));
            Assert.NotEmpty(sample.Classes);
        }
    }

    [Fact]
    public void Xml_labels_are_the_classes_present_in_the_masks()
    {
        string root = NewRoot();
        SyntheticDatasetGenerator.Generate(root, new SyntheticDatasetOptions { TrainImages = 40, ValImages = 0 });
        VocDataset dataset = VocDataset.Open(root, "train");

        foreach (VocSample sample in dataset.Samples)
        {
            GrayImage mask = dataset.LoadMask(sample);
            int[] inMask = [.. mask.Pixels.Where(v => v is > 0 and < VocClasses.IgnoreLabel).Distinct().Order().Select(v => v - 1)];
            Assert.Equal(sample.Classes, inMask);
            Assert.Contains(VocClasses.IgnoreLabel, mask.Pixels); // object boundaries
        }
    }

    [Fact]
    public void Foreground_and_badge_fractions_are_in_the_documented_ranges()
    {
        // SYNTHETIC.md: at the defaults, foreground is ~29 % of pixels on average (every image has some), and a badge is
        // ~3.0 % of its object's visible area (5th to 95th percentile about 1.5 % to 5 %). 120 images pin the means to about ±1.5 % (foreground) and ±0.15 % (badge).
        string root = NewRoot();
        SyntheticDatasetSummary summary = SyntheticDatasetGenerator.Generate(root, new SyntheticDatasetOptions { TrainImages = 120, ValImages = 0 });
        output.WriteLine(summary.Format());

        Assert.InRange(summary.MeanForegroundFraction, 0.24, 0.34);
        Assert.InRange(summary.MinForegroundFraction, 0.02, 0.12);
        Assert.InRange(summary.MeanBadgeFraction, 0.022, 0.04);
        Assert.InRange(summary.BadgeFractionP05, 0.008, 0.022);
        Assert.InRange(summary.BadgeFractionP95, 0.04, 0.07);
        Assert.InRange(summary.MeanIgnoreFraction, 0.008, 0.03);
        Assert.InRange(summary.MeanObjectsPerImage, 1.5, 2.0);
        Assert.InRange(summary.MeanVisibleFraction, 0.85, 1.0);
        Assert.Equal(0, summary.DroppedObjects);

        // The summary's foreground is what the masks on disk hold.
        VocDataset dataset = VocDataset.Open(root, "train");
        double foreground = dataset.Samples.Average(s =>
            (double)dataset.LoadMask(s).Pixels.Count(v => v is > 0 and < VocClasses.IgnoreLabel) / (224 * 224));
        Assert.Equal(summary.MeanForegroundFraction, foreground, 1e-9);
    }

    [Fact]
    public void Summary_counts_agree_with_the_written_labels()
    {
        string root = NewRoot();
        SyntheticDatasetSummary summary = SyntheticDatasetGenerator.Generate(root, new SyntheticDatasetOptions { TrainImages = 40, ValImages = 10, Classes = 6 });
        VocDataset dataset = VocDataset.Open(root, "trainval");

        Assert.Equal(50, summary.Images);
        Assert.Equal(50, summary.ImagesByObjectCount.Sum());
        Assert.Equal(0, summary.ImagesByObjectCount[0]);
        for (int a = 0; a < 6; a++)
        {
            Assert.Equal(dataset.Samples.Count(s => s.Classes.Contains(a)), summary.ImagesPerClass[a]);
            for (int b = 0; b < 6; b++)
                Assert.Equal(summary.CoOccurrence[a][b], summary.CoOccurrence[b][a]);
        }
        Assert.Equal(dataset.Samples.Average(s => s.Classes.Count), summary.MeanClassesPerImage, 1e-9);
        Assert.True(File.Exists(Path.Combine(root, SyntheticDatasetGenerator.DescriptionFileName)));
    }

    [Fact]
    public void Objects_keep_their_badges_and_most_of_their_body_visible()
    {
        var options = new SyntheticDatasetOptions();
        for (int i = 0; i < 40; i++)
        {
            SyntheticImage image = SyntheticScene.Render(options, split: 0, index: i);
            int labelled = image.Labels.Pixels.Count(v => v is > 0 and < VocClasses.IgnoreLabel);
            int visible = image.Stats.Objects.Sum(o => o.VisibleArea);
            // Boundary pixels move from objects to 255, never the other way.
            Assert.InRange(labelled, visible - image.Stats.IgnorePixels, visible);
            foreach (SyntheticObject o in image.Stats.Objects)
            {
                Assert.InRange(o.VisibleArea, 0.45 * o.InImageArea, o.InImageArea);
                Assert.InRange(o.BadgeVisibleArea, 0.8 * o.BadgeArea, o.BadgeArea);
                Assert.InRange(o.InImageArea, 0.7 * o.FullArea, 1.02 * o.FullArea + 20);
                Assert.True(o.XMin >= 1 && o.XMax <= options.Width && o.YMax <= options.Height && o.XMin <= o.XMax && o.YMin <= o.YMax);
            }
        }
    }

    [Fact]
    public void Body_signature_is_off_by_default_and_changes_nothing_when_off()
    {
        var defaults = new SyntheticDatasetOptions();
        Assert.Equal(0, defaults.BodySignature);
        Assert.Throws<ArgumentException>(() => (defaults with { BodySignature = 1.5 }).Validate());
        // An explicit 0 takes the same path as the default: same pixels and labels for the same seed.
        for (int i = 0; i < 3; i++)
        {
            SyntheticImage a = SyntheticScene.Render(defaults, split: 1, index: i), b = SyntheticScene.Render(defaults with { BodySignature = 0 }, split: 1, index: i);
            Assert.Equal(a.Image.Pixels, b.Image.Pixels);
            Assert.Equal(a.Labels.Pixels, b.Labels.Pixels);
        }
    }

    [Fact]
    public void Body_signature_lies_on_bodies_only_and_names_their_class()
    {
        // The signature draws no random numbers, so with it on the scene is the same one: every background pixel
        // (distractors and decoys included) keeps its value, and on each body the change correlates best with the
        // plaid of the body's own class.
        var off = new SyntheticDatasetOptions();
        var on = off with { BodySignature = 0.3 };
        int bodiesChecked = 0;
        var classesSeen = new HashSet<int>();
        for (int i = 0; i < 24; i++)
        {
            SyntheticImage a = SyntheticScene.Render(off, split: 0, index: i), b = SyntheticScene.Render(on, split: 0, index: i);
            Assert.Equal(a.Labels.Pixels, b.Labels.Pixels);
            byte[] labels = a.Labels.Pixels, x = a.Image.Pixels, y = b.Image.Pixels;
            int w = off.Width, n = labels.Length;
            var change = new float[n];
            for (int p = 0; p < n; p++)
            {
                change[p] = (y[3 * p] + y[3 * p + 1] + y[3 * p + 2] - x[3 * p] - x[3 * p + 1] - x[3 * p + 2]) / 3f;
                if (labels[p] == 0) Assert.True(change[p] == 0, $"image {i}: background pixel {p} changed by {change[p]}");
            }
            foreach (int label in labels.Where(v => v is > 0 and < VocClasses.IgnoreLabel).Distinct())
            {
                int[] pixels = Enumerable.Range(0, n).Where(p => labels[p] == label).ToArray();
                if (pixels.Length < 800) continue;
                double[] correlation = new double[off.Classes];
                for (int k = 0; k < off.Classes; k++)
                {
                    double dot = 0, templateNorm = 0, changeNorm = 0;
                    foreach (int p in pixels)
                    {
                        float t = SyntheticScene.Signature(k, off.Classes, Math.Min(off.Width, off.Height), p % w + 0.5f, p / w + 0.5f);
                        dot += t * change[p];
                        templateNorm += t * t;
                        changeNorm += change[p] * change[p];
                    }
                    correlation[k] = dot / Math.Sqrt(templateNorm * changeNorm);
                }
                int own = label - 1;
                output.WriteLine($"image {i} class {own}: correlations {string.Join(' ', correlation.Select(r => r.ToString("0.00")))}");
                Assert.True(correlation[own] > 0.8, $"image {i}: class {own}'s body correlates {correlation[own]:0.00} with its own signature");
                for (int k = 0; k < off.Classes; k++)
                    if (k != own) Assert.True(correlation[k] < 0.3, $"image {i}: class {own}'s body correlates {correlation[k]:0.00} with class {k}'s signature");
                bodiesChecked++;
                classesSeen.Add(own);
            }
        }
        Assert.True(bodiesChecked >= 10 && classesSeen.Count >= 4, $"{bodiesChecked} bodies of {classesSeen.Count} classes checked");
    }

    [Fact]
    public void Body_echoes_are_off_by_default_and_print_faint_badges_on_bodies_only()
    {
        var off = new SyntheticDatasetOptions();
        Assert.Equal(0, off.BodyEcho);
        Assert.Throws<ArgumentException>(() => (off with { BodyEcho = -0.1 }).Validate());
        var on = off with { BodyEcho = 0.35 };
        int bodiesWithEchoes = 0;
        for (int i = 0; i < 16; i++)
        {
            SyntheticImage a = SyntheticScene.Render(off, split: 0, index: i), b = SyntheticScene.Render(on, split: 0, index: i);
            Assert.Equal(a.Labels.Pixels, b.Labels.Pixels);
            Assert.Equal(a.Image.Pixels, SyntheticScene.Render(off with { BodyEcho = 0 }, split: 0, index: i).Image.Pixels);
            byte[] labels = a.Labels.Pixels, x = a.Image.Pixels, y = b.Image.Pixels;
            var changedPerLabel = new Dictionary<byte, (int Changed, int Total)>();
            for (int p = 0; p < labels.Length; p++)
            {
                int change = Math.Abs(y[3 * p] - x[3 * p]) + Math.Abs(y[3 * p + 1] - x[3 * p + 1]) + Math.Abs(y[3 * p + 2] - x[3 * p + 2]);
                if (labels[p] == 0) Assert.True(change == 0, $"image {i}: background pixel {p} changed");
                if (labels[p] is 0 or VocClasses.IgnoreLabel) continue;
                (int changed, int total) = changedPerLabel.GetValueOrDefault(labels[p]);
                changedPerLabel[labels[p]] = (changed + (change > 12 ? 1 : 0), total + 1);
            }
            foreach ((byte label, (int changed, int total)) in changedPerLabel)
            {
                double fraction = (double)changed / total;
                output.WriteLine($"image {i} class {label - 1}: {fraction:P1} of {total} body pixels carry echoes");
                // Copies at 2 badge diameters cover at most about a fifth of a body; small bodies may have room for none.
                Assert.True(fraction < 0.3, $"image {i}: echoes cover {fraction:P1} of class {label - 1}'s body");
                if (total > 6000 && fraction > 0.04) bodiesWithEchoes++;
            }
        }
        Assert.True(bodiesWithEchoes >= 8, $"only {bodiesWithEchoes} large bodies carry echoes");
    }

    [Fact]
    public void Badge_designs_differ_in_shape_even_at_the_smallest_size()
    {
        // Rasterised at the default minimum diameter (11 px), no two designs overlap with IoU above 0.9: shape is a
        // usable cue on its own, beside colour (disc vs hexagon is the closest pair).
        int n = SyntheticDatasetGenerator.MaxClasses;
        bool[][] masks = new bool[n][];
        for (int d = 0; d < n; d++)
        {
            var shape = new BadgeShape(d, 8, 8, 5.5f, 0);
            masks[d] = [.. Enumerable.Range(0, 256).Select(p => shape.Distance(p % 16 + 0.5f, p / 16 + 0.5f) < 0)];
            Assert.InRange(masks[d].Count(b => b), 20, 100);
        }
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
            {
                double iou = (double)masks[a].Zip(masks[b]).Count(p => p.First && p.Second) / masks[a].Zip(masks[b]).Count(p => p.First || p.Second);
                Assert.True(iou < 0.9, $"{BadgeGeometry.Names[a]} and {BadgeGeometry.Names[b]} overlap with IoU {iou:0.00}");
            }
    }

    [Fact]
    public void Badge_rims_contrast_with_their_bodies()
    {
        // A rim's hue is at least a quarter turn from its class's mean body hue, so the badge stands out on its own body.
        for (int classes = 1; classes <= SyntheticDatasetGenerator.MaxClasses; classes++)
            for (int c = 0; c < classes; c++)
            {
                float bodyHue = SyntheticScene.BodyHue(c, classes), rimHue = SyntheticScene.RimHue(c, classes);
                float distance = MathF.Abs(bodyHue - rimHue);
                Assert.True(MathF.Min(distance, 1 - distance) >= 0.25f, $"class {c} of {classes}: body hue {bodyHue:0.00}, rim hue {rimHue:0.00}");
            }
    }

    [Fact]
    public void An_existing_set_is_replaced_only_when_asked()
    {
        string root = NewRoot();
        SyntheticDatasetGenerator.Generate(root, new SyntheticDatasetOptions { TrainImages = 3, ValImages = 1 });

        var e = Assert.Throws<IOException>(() => SyntheticDatasetGenerator.Generate(root, new SyntheticDatasetOptions { TrainImages = 1, ValImages = 1 }));
        output.WriteLine(e.Message);
        SyntheticDatasetGenerator.Generate(root, new SyntheticDatasetOptions { TrainImages = 1, ValImages = 1, Overwrite = true });

        Assert.Equal(2, Directory.GetFiles(Path.Combine(root, "JPEGImages")).Length); // the earlier set's extra images are gone
    }

    [Fact]
    public void Progress_counts_every_image()
    {
        var progress = new MaxProgress();
        SyntheticDatasetGenerator.Generate(NewRoot(), new SyntheticDatasetOptions { TrainImages = 7, ValImages = 3 }, progress);

        Assert.Equal(10, progress.Reports);
        Assert.Equal(10, progress.Max);
    }

    [Theory]
    [InlineData(nameof(SyntheticDatasetOptions.Classes))]
    [InlineData(nameof(SyntheticDatasetOptions.Width))]
    [InlineData(nameof(SyntheticDatasetOptions.MinObjectSize))]
    [InlineData(nameof(SyntheticDatasetOptions.MaxBadgeSize))]
    [InlineData(nameof(SyntheticDatasetOptions.JpegQuality))]
    [InlineData(nameof(SyntheticDatasetOptions.TrainImages))]
    public void Options_name_the_bad_field(string field)
    {
        SyntheticDatasetOptions options = field switch
        {
            nameof(SyntheticDatasetOptions.Classes) => new() { Classes = SyntheticDatasetGenerator.MaxClasses + 1 },
            nameof(SyntheticDatasetOptions.Width) => new() { Width = 32 },
            nameof(SyntheticDatasetOptions.MinObjectSize) => new() { MinObjectSize = double.NaN },
            nameof(SyntheticDatasetOptions.MaxBadgeSize) => new() { MaxBadgeSize = 0.6 },
            nameof(SyntheticDatasetOptions.JpegQuality) => new() { JpegQuality = 0 },
            _ => new() { TrainImages = 0, ValImages = 0 },
        };

        var e = Assert.Throws<ArgumentException>(() => SyntheticDatasetGenerator.Generate(NewRoot(), options));

        output.WriteLine(e.Message);
        Assert.Equal(field, e.ParamName);
    }

    private sealed class MaxProgress : IProgress<int>
    {
        private int reports, max;

        public int Reports => reports;

        public int Max => max;

        public void Report(int value)
        {
            Interlocked.Increment(ref reports);
            int seen;
            while ((seen = max) < value && Interlocked.CompareExchange(ref max, value, seen) != seen) { }
        }
    }
}
