using System.Text.Json.Nodes;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Training.Tests.Loop;

/// <summary>run.json keeps FGSM's settings as one "fgsm" object; a run.json with the two top-level fields of 2026-12-07 reads the same.</summary>
public sealed class RunConfigFgsmTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wsss-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RunConfig Run(FgsmTrainingOptions? fgsm) => new()
    {
        Kind = "classifier",
        Dataset = "data/ImageSets/Segmentation/train.txt",
        Classes = ["a", "b"],
        Epochs = 5,
        Normalization = InputNormalization.ImageNet,
        Fgsm = fgsm,
    };

    private JsonObject SavedJson(RunConfig config)
    {
        config.Save(_dir);
        return JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, RunConfig.FileName)))!.AsObject();
    }

    private void Write(JsonObject json) => File.WriteAllText(Path.Combine(_dir, RunConfig.FileName), json.ToJsonString());

    [Fact]
    public void The_settings_round_trip_as_one_object_and_resume_only_unchanged()
    {
        var json = SavedJson(Run(new FgsmTrainingOptions { Epsilon = 0.035f, CleanWeight = 0.25f }));
        Assert.Equal(0.035f, json["fgsm"]!["epsilon"]!.GetValue<float>());
        Assert.Equal(0.25f, json["fgsm"]!["clean_weight"]!.GetValue<float>());
        var loaded = RunConfig.Load(_dir);
        Assert.Equal(new FgsmTrainingOptions { Epsilon = 0.035f, CleanWeight = 0.25f }, loaded.Fgsm);
        Assert.Empty(Run(new FgsmTrainingOptions { Epsilon = 0.035f, CleanWeight = 0.25f }).ResumeConflicts(loaded));
        Assert.Equal("fgsm", Assert.Single(Run(new FgsmTrainingOptions { Epsilon = 0.07f, CleanWeight = 0.25f }).ResumeConflicts(loaded)).Name);
        Assert.Equal("fgsm", Assert.Single(Run(null).ResumeConflicts(loaded)).Name);
    }

    [Theory]
    [InlineData(0.035f, 0.3f)]
    [InlineData(0.07f, null)]
    public void The_older_top_level_fields_read_as_the_fgsm_object(float epsilon, float? cleanWeight)
    {
        var json = SavedJson(Run(null));
        Assert.True(json.Remove("fgsm"));
        json["fgsm_epsilon"] = epsilon;
        if (cleanWeight is not null) json["fgsm_clean_weight"] = cleanWeight;
        Write(json);

        var loaded = RunConfig.Load(_dir);
        var expected = new FgsmTrainingOptions { Epsilon = epsilon, CleanWeight = cleanWeight ?? FgsmTrainingOptions.DefaultCleanWeight };
        Assert.Equal(expected, loaded.Fgsm);
        Assert.Empty(Run(expected).ResumeConflicts(loaded));
    }

    [Fact]
    public void The_older_fields_null_mean_a_run_without_fgsm()
    {
        var json = SavedJson(Run(null));
        Assert.True(json.Remove("fgsm"));
        json["fgsm_epsilon"] = null;
        json["fgsm_clean_weight"] = null;
        Write(json);

        var loaded = RunConfig.Load(_dir);
        Assert.Null(loaded.Fgsm);
        Assert.Empty(Run(null).ResumeConflicts(loaded));
    }
}
