using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace WsssOnnx.Training.Loop;

/// <summary>One line per epoch, appended to metrics.csv and metrics.jsonl in the run folder.</summary>
public sealed record EpochMetrics(int Epoch, int Step, double Loss, double? Validation, string ValidationMetric, double ImagesPerSecond, double Seconds, double LearningRate)
{
    /// <summary>The epoch's mean of each loss term the trainer logs (e.g. ECS's), in its order; a column each after the fixed ones.</summary>
    [JsonIgnore]
    public IReadOnlyList<(string Name, double Value)> Terms { get; init; } = [];
}

public sealed class MetricsLog(string directory)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string CsvPath => Path.Combine(directory, "metrics.csv");

    public string JsonPath => Path.Combine(directory, "metrics.jsonl");

    public void Append(EpochMetrics m)
    {
        Directory.CreateDirectory(directory);
        // A run's terms never change (its configuration is fixed), so the header written with its first epoch fits every later line.
        if (!File.Exists(CsvPath))
            File.WriteAllText(CsvPath, "epoch,step,loss,validation_metric,validation,images_per_second,seconds,learning_rate" + string.Concat(m.Terms.Select(t => "," + t.Name)) + "\n");
        string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
        File.AppendAllText(CsvPath, $"{m.Epoch},{m.Step},{F(m.Loss)},{m.ValidationMetric},{(m.Validation is { } v ? F(v) : "")},{F(m.ImagesPerSecond)},{F(m.Seconds)},{F(m.LearningRate)}" +
            string.Concat(m.Terms.Select(t => "," + F(t.Value))) + "\n");
        var line = JsonSerializer.SerializeToNode(m, Json)!.AsObject();
        foreach (var (name, value) in m.Terms) line[name] = double.IsFinite(value) ? value : null;
        File.AppendAllText(JsonPath, line.ToJsonString(Json) + "\n");
    }

    /// <summary>Drops lines of epochs after <paramref name="epoch"/> (a resumed run rewrites them).</summary>
    public void TruncateAfter(int epoch)
    {
        if (File.Exists(CsvPath))
        {
            var lines = File.ReadAllLines(CsvPath);
            File.WriteAllLines(CsvPath, lines.Take(1).Concat(lines.Skip(1).Where(l => int.Parse(l.Split(',')[0], CultureInfo.InvariantCulture) <= epoch)));
        }
        if (File.Exists(JsonPath))
        {
            var kept = File.ReadAllLines(JsonPath).Where(l => JsonDocument.Parse(l).RootElement.GetProperty("epoch").GetInt32() <= epoch);
            File.WriteAllLines(JsonPath, kept);
        }
    }
}
