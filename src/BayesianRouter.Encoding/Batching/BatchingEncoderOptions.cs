namespace BayesianRouter.Encoding;

/// <summary>How a <see cref="BatchingEncoder"/> gathers concurrent callers' texts and how many inference workers run them.</summary>
public sealed record BatchingEncoderOptions
{
    /// <summary>
    /// Inference workers, each a thread running one model call at a time on the shared ONNX Runtime session. Default:
    /// one per core, each with one ONNX Runtime thread (<see cref="ThreadsPerWorker"/>): measured on 2 cores, two
    /// single-threaded workers beat one worker with two threads (docs/encoder.md, "Shared and batched").
    /// </summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>ONNX Runtime intra-op threads of each worker's calls; workers x threads should not exceed the cores.</summary>
    public int ThreadsPerWorker { get; init; } = 1;

    /// <summary>How long an idle worker, given a first text, waits for more callers' texts before it starts (the batching window).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Most texts one worker takes at once (they are then sorted by length and run in batches of <see cref="EncoderOptions.BatchSize"/>).</summary>
    public int MaxTexts { get; init; } = 64;

    internal void Validate()
    {
        if (Workers < 1) throw new ArgumentException($"encoder workers must be at least 1, got {Workers}");
        if (ThreadsPerWorker < 1) throw new ArgumentException($"threads per encoder worker must be at least 1, got {ThreadsPerWorker}");
        if (Window < TimeSpan.Zero) throw new ArgumentException($"the batching window must not be negative, got {Window}");
        if (MaxTexts < 1) throw new ArgumentException($"texts per encoder call must be at least 1, got {MaxTexts}");
    }
}
