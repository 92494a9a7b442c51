namespace BayesianRouter.Encoding;

/// <summary>
/// Groups sequences into batches. Every batch is padded to its longest member, so batching texts of similar
/// length (sorted) wastes far less work than batching them in input order, and self-attention on padding
/// costs quadratically.
/// </summary>
public static class LengthBatching
{
    /// <summary>
    /// Batches of indices into <paramref name="lengths"/>, at most <paramref name="batchSize"/> each. Sorted: by
    /// length (ties by index, so the plan is deterministic); otherwise in input order.
    /// </summary>
    public static List<int[]> Plan(IReadOnlyList<int> lengths, int batchSize, bool sortByLength)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be at least 1");
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        if (sortByLength) Array.Sort(order, (a, b) => lengths[a] != lengths[b] ? lengths[a].CompareTo(lengths[b]) : a.CompareTo(b));
        var batches = new List<int[]>((order.Length + batchSize - 1) / batchSize);
        for (int start = 0; start < order.Length; start += batchSize)
            batches.Add(order[start..Math.Min(order.Length, start + batchSize)]);
        return batches;
    }

    /// <summary>Token slots a plan computes: the sum over batches of batch size x longest member.</summary>
    public static long PaddedTokens(IReadOnlyList<int> lengths, IEnumerable<int[]> batches) =>
        batches.Sum(b => (long)b.Length * b.Max(i => lengths[i]));
}
