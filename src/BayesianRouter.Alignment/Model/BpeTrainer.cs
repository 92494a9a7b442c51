namespace BayesianRouter.Alignment.Model;

/// <summary>
/// Learns byte-level BPE merges from a small corpus (the task's own prompts and answers), so the task's policy has a
/// real <c>tokenizer.json</c> with words as single tokens: counts adjacent symbol pairs over the pre-tokenized words
/// (weighted by frequency), merges the most frequent pair (ties: the ordinally smallest), and repeats. Deterministic.
/// </summary>
public static class BpeTrainer
{
    /// <param name="corpus">Texts to learn from.</param>
    /// <param name="merges">Merges to learn at most (fewer when no pair occurs twice).</param>
    /// <param name="preTokenizers">How texts are cut into words (the tokenizer's own pre-tokenizers).</param>
    /// <param name="addedTokens">Special tokens, given ids 0.. in order; the 256 byte symbols follow, then the merges.</param>
    public static ByteLevelBpeTokenizer Train(IEnumerable<string> corpus, int merges, IReadOnlyList<PreTokenizerStep> preTokenizers,
        IReadOnlyList<string> addedTokens)
    {
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in corpus)
        {
            IEnumerable<string> pieces = [text];
            foreach (var step in preTokenizers) pieces = pieces.SelectMany(step.Split).ToArray();
            foreach (var p in pieces)
                if (p.Length > 0) wordCounts[ByteLevelBpeTokenizer.ToByteLevel(p)] = wordCounts.GetValueOrDefault(ByteLevelBpeTokenizer.ToByteLevel(p)) + 1;
        }
        var words = wordCounts.OrderBy(w => w.Key, StringComparer.Ordinal)
            .Select(w => (Symbols: w.Key.Select(c => c.ToString()).ToList(), Count: w.Value)).ToList();

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var added = addedTokens.Select((t, i) => (t, i, true)).ToList();
        int next = addedTokens.Count;
        foreach (var c in ByteLevelBpeTokenizer.ByteAlphabet) vocab[c.ToString()] = next++;
        var learned = new List<(string, string)>();
        for (int m = 0; m < merges; m++)
        {
            var counts = new Dictionary<(string, string), long>();
            foreach (var (symbols, count) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    counts[(symbols[i], symbols[i + 1])] = counts.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            if (counts.Count == 0) break;
            var best = counts.OrderByDescending(kv => kv.Value)
                .ThenBy(kv => kv.Key.Item1, StringComparer.Ordinal).ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal).First();
            if (best.Value < 2) break;
            var (left, right) = best.Key;
            learned.Add((left, right));
            vocab.TryAdd(left + right, next++);
            foreach (var (symbols, _) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    if (symbols[i] == left && symbols[i + 1] == right)
                    {
                        symbols[i] = left + right;
                        symbols.RemoveAt(i + 1);
                    }
        }
        return new ByteLevelBpeTokenizer(vocab, learned, added, preTokenizers);
    }
}
