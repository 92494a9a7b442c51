using BayesianRouter.Alignment.Model;

namespace BayesianRouter.Alignment.Tests;

/// <summary>Tiny random Llama models for fast tests (grouped-query attention: 4 query heads share 2 key/value heads).</summary>
internal static class TinyModels
{
    public static LlamaConfig Config(bool tied = true) => new()
    {
        VocabSize = 260, HiddenSize = 16, IntermediateSize = 24, Layers = 2, Heads = 4, KeyValueHeads = 2,
        MaxPositions = 64, RopeTheta = 10000, TieWordEmbeddings = tied, EosTokenId = 0,
    };

    public static LlamaModel Random(long seed = 1, bool tied = true) => LlamaModel.CreateRandom(Config(tied), seed);

    /// <summary>A byte-level tokenizer with no merges (every byte a token) and one special token, id 0.</summary>
    public static ByteLevelBpeTokenizer ByteTokenizer() =>
        BpeTrainer.Train([], 0, [new PreTokenizerStep.ByteLevel(false, true)], ["<|endoftext|>"]);

    public static string TempFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "bayesrouter-align-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
