using WsssOnnx.Packages;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Training.Tests.Loop;

/// <summary>run.json records the input normalisation of a run's augmentation; one from before it was recorded reads as ImageNet's.</summary>
public sealed class RunConfigNormalizationTests
{
    private static RunConfig Run(InputNormalization? normalization) => new()
    {
        Kind = "classifier",
        Dataset = "data/ImageSets/Segmentation/train.txt",
        Classes = ["a", "b"],
        Epochs = 3,
        Normalization = normalization,
    };

    [Fact]
    public void The_normalisation_round_trips_through_run_json()
    {
        string dir = Directory.CreateTempSubdirectory("wsss-run-").FullName;
        try
        {
            Run(new InputNormalization([0.5f, 0.4f, 0.3f], [0.25f, 0.2f, 0.1f])).Save(dir);
            Assert.Contains("\"normalization\"", File.ReadAllText(Path.Combine(dir, RunConfig.FileName)));
            var loaded = RunConfig.Load(dir);
            Assert.Equal([0.5f, 0.4f, 0.3f], loaded.InputNormalization.Mean);
            Assert.Equal([0.25f, 0.2f, 0.1f], loaded.InputNormalization.Std);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_run_json_without_it_is_ImageNets_and_resumes_under_ImageNet_only()
    {
        string dir = Directory.CreateTempSubdirectory("wsss-run-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, RunConfig.FileName),
                """{ "kind": "classifier", "dataset": "data/ImageSets/Segmentation/train.txt", "classes": ["a", "b"], "epochs": 3 }""");
            var old = RunConfig.Load(dir);
            Assert.Null(old.Normalization);
            Assert.Equal(InputNormalization.ImageNet.Mean, old.InputNormalization.Mean);
            Assert.Equal(InputNormalization.ImageNet.Std, old.InputNormalization.Std);

            Assert.Empty(Run(InputNormalization.ImageNet).ResumeConflicts(old));
            var conflict = Assert.Single(Run(new InputNormalization([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f])).ResumeConflicts(old));
            Assert.Equal("normalization", conflict.Name);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_run_fed_another_normalisation_than_its_package_is_refused_naming_both()
    {
        var custom = new InputNormalization([0.5f, 0.4f, 0.3f], [0.25f, 0.2f, 0.1f]);
        Run(custom).CheckNormalization(new InputNormalization([0.5f, 0.4f, 0.3f], [0.25f, 0.2f, 0.1f]), "runs/seg", "models/x/1");
        Run(null).CheckNormalization(InputNormalization.ImageNet, "runs/seg", "models/x/1"); // an older run.json: ImageNet's

        var e = Assert.Throws<InvalidDataException>(() => Run(null).CheckNormalization(custom, "runs/seg", "models/x/1"));
        Assert.Contains("runs/seg", e.Message);
        Assert.Contains("models/x/1 feeds its networks mean [0.5, 0.4, 0.3]", e.Message);
        Assert.Contains("mean [0.485, 0.456, 0.406]", e.Message);
    }
}
