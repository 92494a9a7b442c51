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

    /// <summary>An offline router on the hashing encoder's 8-d vectors: h = [tanh(W x + b); 1] of size 4, seeded weights.</summary>
    public static Offline.OfflineRouter OfflineRouter(IReadOnlyList<string> pool, int seed = 2)
    {
        var rng = new System.Random(seed);
        double R() => rng.NextDouble() * 2 - 1;
        int arms = pool.Count, fused = 3, input = 16;
        return new Offline.OfflineRouter(pool.ToArray(), "hashing-test-encoder", 8, 64, [], Offline.FusionActivation.Tanh, fused,
            w: Enumerable.Range(0, fused * input).Select(_ => R()).ToArray(), b: new double[fused],
            ebt: Enumerable.Range(0, arms * (fused + 1)).Select(_ => R()).ToArray(), ecls: new double[arms * (fused + 1)]);
    }

    public static string TempFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "bayesrouter-align-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
