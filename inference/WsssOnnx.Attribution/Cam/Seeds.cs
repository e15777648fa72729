using WsssOnnx.Imaging;

namespace WsssOnnx.Attribution.Cam;

/// <summary>Initial seeds from normalised class maps: a background channel of constant threshold, then argmax (ADVCAM.md).</summary>
public static class Seeds
{
    /// <summary>Label map with 0 = background and class k (0-based foreground index) as k + 1.</summary>
    public static GrayImage FromMaps(ClassMaps maps, float backgroundThreshold = 0.15f)
    {
        if (!(backgroundThreshold is >= 0f and <= 1f)) throw new ArgumentOutOfRangeException(nameof(backgroundThreshold), backgroundThreshold, "backgroundThreshold must be in [0, 1]");
        int w = maps.Width, h = maps.Height, plane = w * h;
        var labels = new GrayImage(w, h);
        var data = maps.Full.Data;
        for (int i = 0; i < plane; i++)
        {
            float best = backgroundThreshold;
            int label = 0;
            for (int k = 0; k < maps.Classes.Count; k++)
            {
                float v = data[k * plane + i];
                if (v > best)
                {
                    best = v;
                    label = maps.Classes[k] + 1;
                }
            }
            labels.Pixels[i] = (byte)label;
        }
        return labels;
    }
}
