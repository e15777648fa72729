using System.CommandLine;
using WsssOnnx.Training.Seeding;

namespace WsssOnnx.Trainer;

/// <summary>train-segmenter's --loss and the settings of SEC's and DSRG's losses (defaults: the papers' code).</summary>
internal sealed class SeedLossCommandOptions
{
    private static readonly SegmenterLossOptions Defaults = new();

    public Option<string> Loss { get; } = new Option<string>("--loss")
    {
        Description = "cross-entropy on the pseudo-labels; sec: SEC's seeding + expansion + constrain losses on them as seeds; " +
                      "dsrg: DSRG's seeds grown every step + constrain (both run a dense CRF per image per step on the CPU)",
        DefaultValueFactory = _ => "cross-entropy",
    }.AcceptOnlyFromAmong("cross-entropy", "sec", "dsrg");

    public Option<float> ForegroundDecay { get; } = new("--gwrp-foreground-decay")
    {
        Description = "--loss sec: d+, the global weighted rank pooling decay of the foreground classes",
        DefaultValueFactory = _ => Defaults.ForegroundDecay,
    };

    public Option<float> BackgroundDecay { get; } = new("--gwrp-background-decay")
    {
        Description = "--loss sec: d-, the global weighted rank pooling decay of the background",
        DefaultValueFactory = _ => Defaults.BackgroundDecay,
    };

    public Option<float> ForegroundThreshold { get; } = new("--grow-foreground-threshold")
    {
        Description = "--loss dsrg: theta_fg, the probability a pixel needs to join a foreground seed region",
        DefaultValueFactory = _ => Defaults.ForegroundThreshold,
    };

    public Option<float> BackgroundThreshold { get; } = new("--grow-background-threshold")
    {
        Description = "--loss dsrg: theta_bg, the probability a pixel needs to join the background seed region",
        DefaultValueFactory = _ => Defaults.BackgroundThreshold,
    };

    public Option<float> WarmupEpochs { get; } = new("--warmup-epochs")
    {
        Description = "--loss sec or dsrg: epochs over which the terms beyond the seeding loss ramp in from weight 0 to 1 (from scratch they collapse an untrained network; 0: none)",
        DefaultValueFactory = _ => Defaults.WarmupEpochs,
    };

    public void AddTo(Command command)
    {
        foreach (Option o in (Option[])[Loss, ForegroundDecay, BackgroundDecay, ForegroundThreshold, BackgroundThreshold, WarmupEpochs])
            command.Options.Add(o);
    }

    /// <summary>The loss settings; null for cross-entropy. An option of the other loss is refused rather than ignored.</summary>
    public SegmenterLossOptions? Options(ParseResult r)
    {
        string loss = r.GetValue(Loss)!;
        bool Given(Option option) => r.GetResult(option) is { Implicit: false };
        foreach (var (option, owner) in new[] { (ForegroundDecay, "sec"), (BackgroundDecay, "sec"), (ForegroundThreshold, "dsrg"), (BackgroundThreshold, "dsrg") })
            if (Given(option) && loss != owner)
                throw new UsageException($"{option.Name} sets a parameter of --loss {owner}, not of --loss {loss}: leave it out or give --loss {owner}.");
        if (loss == "cross-entropy")
        {
            if (Given(WarmupEpochs)) throw new UsageException($"{WarmupEpochs.Name} sets a parameter of --loss sec and dsrg, not of --loss {loss}: leave it out or give one of them.");
            return null;
        }
        return new SegmenterLossOptions
        {
            Loss = loss == "sec" ? SegmenterLoss.Sec : SegmenterLoss.Dsrg,
            ForegroundDecay = r.GetValue(ForegroundDecay),
            BackgroundDecay = r.GetValue(BackgroundDecay),
            ForegroundThreshold = r.GetValue(ForegroundThreshold),
            BackgroundThreshold = r.GetValue(BackgroundThreshold),
            WarmupEpochs = r.GetValue(WarmupEpochs),
        };
    }
}
