namespace BayesianRouter.Encoding;

/// <summary>How an encoder truncates and batches. Only <see cref="MaxTokens"/> and <see cref="PromptTruncation"/> change embeddings.</summary>
public sealed record EncoderOptions
{
    /// <summary>The paper's default budget for prompt plus response, [CLS] and [SEP] included.</summary>
    public const int DefaultMaxTokens = 256;

    /// <summary>Maximum tokens of prompt plus response, special tokens included (4 to 512: BERT's position table).</summary>
    public int MaxTokens { get; init; } = DefaultMaxTokens;

    /// <summary>Which end of the prompt goes when the budget is exceeded; the response is kept whole when it fits.</summary>
    public PromptTruncation PromptTruncation { get; init; } = PromptTruncation.Left;

    /// <summary>
    /// Texts per ONNX Runtime call. Sorted by length, small batches pad almost nothing; measured on 2 cores at 256
    /// tokens, 8 to 16 was fastest and 128 slowest (docs/encoder.md).
    /// </summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>ONNX Runtime intra-op threads; default: every core.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Let ONNX Runtime's worker threads spin while waiting for work. Off by default: on a machine with 2 cores
    /// and anything else running, spinning threads steal the cores the work needs (measured: 12.3 s instead of
    /// 19.7 s for the same texts under load).
    /// </summary>
    public bool SpinWait { get; init; }

    /// <summary>
    /// Sort texts by token length before batching, so a batch pads little (the speed-up over padding every batch
    /// to its longest text in input order). Off only to measure what it saves; it never changes an embedding.
    /// </summary>
    public bool SortByLength { get; init; } = true;

    public void Validate()
    {
        if (MaxTokens < 4 || MaxTokens > 512)
            throw new ArgumentException($"max tokens must be between 4 and 512 (BERT's position table), got {MaxTokens}");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be at least 1, got {BatchSize}");
        if (Threads < 1) throw new ArgumentException($"threads must be at least 1, got {Threads}");
        if (!Enum.IsDefined(PromptTruncation)) throw new ArgumentException($"unknown prompt truncation {PromptTruncation}");
    }
}
