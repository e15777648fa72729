using System.Text.Json.Nodes;
using WsssOnnx.Graph.Networks;
using WsssOnnx.Packages;
using WsssOnnx.Training.Loop;

namespace WsssOnnx.Training.Tests.Loop;

/// <summary>run.json records the segmenter's head; a segmenter run.json from before it was recorded resumes as DeepLab-v2.</summary>
public sealed class RunConfigSegmenterHeadTests
{
    private static RunConfig Run(DeepLabHead head) => new()
    {
        Kind = "segmenter",
        Dataset = "data/ImageSets/Segmentation/train.txt",
        Classes = ["a", "b"],
        Epochs = 3,
        Normalization = InputNormalization.ImageNet,
        Segmenter = new DeepLabOptions
        {
            Classes = 3,
            Head = head,
            AtrousRates = head == DeepLabHead.DeepLabV3 ? DeepLabOptions.DeepLabV3AtrousRates : new DeepLabOptions().AtrousRates,
        },
    };

    [Fact]
    public void The_head_round_trips_through_run_json()
    {
        string dir = Directory.CreateTempSubdirectory("wsss-run-").FullName;
        try
        {
            Run(DeepLabHead.DeepLabV3).Save(dir);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, RunConfig.FileName)))!;
            Assert.Equal("DeepLabV3", json["segmenter"]!["head"]!.GetValue<string>());
            var loaded = RunConfig.Load(dir);
            Assert.Equal(DeepLabHead.DeepLabV3, loaded.Segmenter!.Head);
            Assert.Equal([6, 12, 18], loaded.Segmenter.AtrousRates);
            Assert.Empty(Run(DeepLabHead.DeepLabV3).ResumeConflicts(loaded));
            Assert.Equal("segmenter", Assert.Single(Run(DeepLabHead.DeepLabV2).ResumeConflicts(loaded)).Name);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_segmenter_run_json_without_a_head_is_DeepLab_v2_and_resumes_as_v2_only()
    {
        string dir = Directory.CreateTempSubdirectory("wsss-run-").FullName;
        try
        {
            Run(DeepLabHead.DeepLabV2).Save(dir);
            string path = Path.Combine(dir, RunConfig.FileName);
            var json = JsonNode.Parse(File.ReadAllText(path))!;
            Assert.True(json["segmenter"]!.AsObject().Remove("head"));
            File.WriteAllText(path, json.ToJsonString());

            var old = RunConfig.Load(dir);
            Assert.Equal(DeepLabHead.DeepLabV2, old.Segmenter!.Head);
            Assert.Empty(Run(DeepLabHead.DeepLabV2).ResumeConflicts(old));
            var conflict = Assert.Single(Run(DeepLabHead.DeepLabV3).ResumeConflicts(old));
            Assert.Equal("segmenter", conflict.Name);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
