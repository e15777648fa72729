namespace WsssOnnx.Training.Loop;

/// <summary>The settings every SGD training run shares, checked in one place for the classifier's and segmenter's options.</summary>
internal static class SgdRunSettings
{
    /// <exception cref="ArgumentException">A setting out of range; the message names the option's property.</exception>
    public static void Validate(int epochs, int batchSize, float learningRate, float headLearningRateMultiplier, int threads)
    {
        if (epochs is < 1 or > 10000) throw new ArgumentException($"Epochs must be between 1 and 10000; got {epochs}", "Epochs");
        if (batchSize is < 1 or > 4096) throw new ArgumentException($"BatchSize must be between 1 and 4096; got {batchSize}", "BatchSize");
        if (!(learningRate > 0) || !float.IsFinite(learningRate))
            throw new ArgumentException($"LearningRate must be a positive number; got {learningRate}", "LearningRate");
        if (!(headLearningRateMultiplier > 0) || !float.IsFinite(headLearningRateMultiplier))
            throw new ArgumentException($"HeadLearningRateMultiplier must be a positive number; got {headLearningRateMultiplier}", "HeadLearningRateMultiplier");
        if (threads is < 0 or > 1024) throw new ArgumentException($"Threads must be between 0 and 1024; got {threads}", "Threads");
    }
}
