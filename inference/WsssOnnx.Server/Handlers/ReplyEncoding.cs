using System.Buffers.Binary;
using Google.Protobuf;
using WsssOnnx.Attribution.Cam;
using WsssOnnx.Imaging;
using WsssOnnx.Protos.Wsss.V1;
using WsssOnnx.Server.Models;

namespace WsssOnnx.Server.Handlers;

/// <summary>Label maps and class maps as wsss.v1 messages.</summary>
public static class ReplyEncoding
{
    /// <summary>A <see cref="LabelMap"/> with the encodings asked for and the area of each label present.</summary>
    public static LabelMap Labels(GrayImage labels, LabelEncoding encoding, IReadOnlyList<string> classNames)
    {
        var map = new LabelMap { Width = (uint)labels.Width, Height = (uint)labels.Height };
        if (encoding is LabelEncoding.Png or LabelEncoding.PngAndRaw) map.Png = ByteString.CopyFrom(PngEncoder.EncodeVocLabels(labels));
        if (encoding is LabelEncoding.Raw or LabelEncoding.PngAndRaw) map.Raw = ByteString.CopyFrom(labels.Pixels);
        Span<int> counts = stackalloc int[256];
        foreach (byte label in labels.Pixels) counts[label]++;
        float total = Math.Max(1, labels.Pixels.Length);
        var areas = new List<ClassArea>();
        for (int label = 0; label < 256; label++)
        {
            if (counts[label] == 0) continue;
            string name = label < classNames.Count ? classNames[label] : label == 255 ? "ignore" : $"label {label}";
            areas.Add(new ClassArea { Label = (uint)label, Name = name, Pixels = (uint)counts[label], Fraction = counts[label] / total });
        }
        map.Classes.AddRange(areas.OrderByDescending(a => a.Pixels));
        return map;
    }

    /// <summary>Each class's full-size map in [0, 1], as an 8-bit PNG or little-endian float32.</summary>
    public static IEnumerable<ClassMap> Maps(ClassMaps maps, MapEncoding encoding, LoadedModel model)
    {
        int w = maps.Width, h = maps.Height, plane = w * h;
        var data = maps.Full.Data;
        for (int i = 0; i < maps.Classes.Count; i++)
        {
            int label = maps.Classes[i] + 1;
            var reply = new ClassMap { Label = (uint)label, Name = model.Classes[label], Width = (uint)w, Height = (uint)h };
            var values = data.AsSpan(i * plane, plane);
            if (encoding == MapEncoding.Float32)
            {
                var bytes = new byte[plane * sizeof(float)];
                for (int p = 0; p < plane; p++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(p * sizeof(float)), values[p]);
                reply.Float32 = ByteString.CopyFrom(bytes);
            }
            else
            {
                var grey = new GrayImage(w, h);
                for (int p = 0; p < plane; p++) grey.Pixels[p] = (byte)Math.Clamp(MathF.Round(values[p] * 255f), 0f, 255f);
                reply.Png = ByteString.CopyFrom(PngEncoder.EncodeGray(grey));
            }
            yield return reply;
        }
    }

    public static ServedBy ServedBy(LoadedModel model) =>
        new() { Name = model.Name, Version = model.Version, ExecutionProvider = model.ExecutionProvider };
}
