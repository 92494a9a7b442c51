using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace BayesianRouter.Encoding;

/// <summary>
/// A BERT-style sentence encoder run directly with ONNX Runtime: WordPiece ids from Microsoft.ML.Tokenizers'
/// <see cref="BertTokenizer"/>, one session call per batch of texts of similar length, the token vectors
/// (<c>last_hidden_state</c>) pooled (mean over the attention mask, or [CLS]) and L2-normalised.
/// Takes any such model by path (<see cref="FromFiles"/>); <see cref="MiniLmEncoder"/> is the built-in one.
/// Never downloads anything. Thread-safe: concurrent calls share the session (each call its own buffers).
/// </summary>
public sealed class BertOnnxEncoder : ITextEncoder
{
    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly bool _hasTokenTypes;
    private readonly string _outputName;

    /// <param name="model">An ONNX graph: a file path, or the model's bytes.</param>
    /// <param name="vocab">The WordPiece vocabulary (vocab.txt, one token a line).</param>
    /// <param name="modelId">Names the model in <see cref="Id"/> (the cache key): it must change when the weights do.</param>
    internal BertOnnxEncoder(OnnxModelSource model, Stream vocab, string modelId, Pooling pooling, bool lowerCase, EncoderOptions? options)
    {
        Options = options ?? new EncoderOptions();
        Options.Validate();
        if (!Enum.IsDefined(pooling)) throw new ArgumentException($"unknown pooling {pooling}");
        ModelId = modelId;
        Pooling = pooling;

        _tokenizer = HfBertTokenizer.Create(vocab, lowerCase);

        using var sessionOptions = CreateSessionOptions(Options.Threads, Options.SpinWait);
        try
        {
            _session = model.Path != null ? new InferenceSession(model.Path, sessionOptions) : new InferenceSession(model.Bytes!, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{model.Name}: ONNX Runtime cannot load this model ({e.Message})", e);
        }

        var inputs = _session.InputMetadata.Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var required in new[] { "input_ids", "attention_mask" })
            if (!inputs.Contains(required))
                throw new InvalidDataException($"{model.Name}: the model has no input \"{required}\" (inputs: {string.Join(", ", inputs)}); a BERT-style encoder needs input_ids and attention_mask");
        _hasTokenTypes = inputs.Contains("token_type_ids");
        var unknown = inputs.Except(["input_ids", "attention_mask", "token_type_ids"]).ToList();
        if (unknown.Count > 0) throw new InvalidDataException($"{model.Name}: unexpected model inputs {string.Join(", ", unknown)}");

        var outputs = _session.OutputMetadata;
        _outputName = outputs.ContainsKey("last_hidden_state") ? "last_hidden_state"
            : outputs.FirstOrDefault(o => o.Value.Dimensions.Length == 3).Key
              ?? throw new InvalidDataException($"{model.Name}: the model has no [batch, seq, dim] output (outputs: {string.Join(", ", outputs.Keys)})");
        int dim = outputs[_outputName].Dimensions[^1];
        Dimension = dim > 0 ? dim : Encode([new EncoderInput("probe")])[0].Length;
    }

    /// <summary>
    /// Loads a user's BERT-style ONNX model and its vocab.txt. The model id defaults to the file name plus the
    /// first 16 hex digits of the SHA-256 of the model and vocab bytes, so changed weights never reuse a cache.
    /// </summary>
    public static BertOnnxEncoder FromFiles(
        string modelPath, string vocabPath, Pooling pooling, EncoderOptions? options = null, bool lowerCase = true, string? modelId = null)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"{modelPath}: no such model file", modelPath);
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"{vocabPath}: no such vocab file", vocabPath);
        modelId ??= $"onnx:{Path.GetFileName(Path.GetFullPath(modelPath))}@{FileDigest(modelPath, vocabPath)}{(lowerCase ? "" : ";cased")}";
        using var vocab = File.OpenRead(vocabPath);
        return new BertOnnxEncoder(new OnnxModelSource(modelPath, modelPath, null), vocab, modelId, pooling, lowerCase, options);
    }

    private static string FileDigest(params string[] paths)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (var p in paths)
        {
            using var s = File.OpenRead(p);
            int n;
            while ((n = s.Read(buffer, 0, buffer.Length)) > 0) sha.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
    }

    /// <summary>ONNX Runtime settings: <paramref name="threads"/> intra-op threads, full graph optimisation, spin-waiting optional.</summary>
    internal static SessionOptions CreateSessionOptions(int threads, bool spinWait)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        if (!spinWait) options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }

    public EncoderOptions Options { get; }
    public string ModelId { get; }
    public Pooling Pooling { get; }
    public int Dimension { get; }
    public int MaxTokens => Options.MaxTokens;

    /// <summary>model id; pooling; token budget; which end of the prompt is cut.</summary>
    public string Id => $"{ModelId};pooling={Pooling.ToString().ToLowerInvariant()};max_tokens={MaxTokens};prompt_cut={Options.PromptTruncation.ToString().ToLowerInvariant()}";

    /// <summary>The model's input for one text: [CLS] prompt response [SEP], truncated (see <see cref="PairTruncation"/>).</summary>
    public int[] TokenIds(EncoderInput input)
    {
        var prompt = _tokenizer.EncodeToIds(input.Prompt, addSpecialTokens: false);
        var response = input.Response.Length == 0 ? [] : _tokenizer.EncodeToIds(input.Response, addSpecialTokens: false);
        return PairTruncation.Build(prompt, response, MaxTokens, Options.PromptTruncation,
            _tokenizer.ClassificationTokenId, _tokenizer.SeparatorTokenId);
    }

    /// <summary>The text the model actually sees after truncation (word pieces joined, lower-cased), without [CLS]/[SEP].</summary>
    public string TruncatedText(EncoderInput input)
    {
        var ids = TokenIds(input);
        return _tokenizer.Decode(ids[1..^1], skipSpecialTokens: false) ?? "";
    }

    public float[][] Encode(IReadOnlyList<EncoderInput> inputs, IProgress<(int Done, int Total)>? progress = null)
    {
        var sequences = new int[inputs.Count][];
        for (int i = 0; i < inputs.Count; i++) sequences[i] = TokenIds(inputs[i]);
        return EncodeTokenized(sequences, null, progress);
    }

    /// <summary>Encodes already tokenized sequences ([CLS] ... [SEP]), batching them by length unless <paramref name="sortByLength"/> is false.</summary>
    public float[][] EncodeTokenized(IReadOnlyList<int[]> sequences, bool? sortByLength = null, IProgress<(int Done, int Total)>? progress = null)
    {
        var result = new float[sequences.Count][];
        var lengths = sequences.Select(s => s.Length).ToArray();
        int done = 0;
        foreach (var batch in LengthBatching.Plan(lengths, Options.BatchSize, sortByLength ?? Options.SortByLength))
        {
            var vectors = RunBatch(batch.Select(i => sequences[i]).ToArray());
            for (int k = 0; k < batch.Length; k++) result[batch[k]] = vectors[k];
            done += batch.Length;
            progress?.Report((done, sequences.Count));
        }
        return result;
    }

    /// <summary>One ONNX Runtime call on a batch padded to its longest sequence.</summary>
    private float[][] RunBatch(int[][] batch)
    {
        int b = batch.Length, t = batch.Max(s => s.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        for (int r = 0; r < b; r++)
        {
            var s = batch[r];
            for (int j = 0; j < s.Length; j++)
            {
                ids[r * t + j] = s[j];
                mask[r * t + j] = 1;
            }
        }
        long[] shape = [b, t];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = _hasTokenTypes ? OrtValue.CreateTensorValueFromMemory(new long[b * t], shape) : null;
        var names = new List<string> { "input_ids", "attention_mask" };
        var values = new List<OrtValue> { idsValue, maskValue };
        if (typesValue != null)
        {
            names.Add("token_type_ids");
            values.Add(typesValue);
        }
        using var runOptions = new RunOptions(); // one per call: concurrent calls (BatchingEncoder's workers) share the session
        using var outputs = _session.Run(runOptions, names, values, [_outputName]);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        int dim = hidden.Length / (b * t);
        return SentencePooling.Pool(hidden, mask, b, t, dim, Pooling);
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>Where an ONNX graph comes from: a file, or bytes (an embedded resource). <see cref="Name"/> names it in errors.</summary>
internal sealed record OnnxModelSource(string Name, string? Path, byte[]? Bytes);
