namespace BayesianRouter.Data.Splits;

/// <summary>
/// A split of a pair list into a training side and a held-out (test) side, as indices into the original list
/// (so embeddings computed for the whole list stay aligned). A group is always wholly on one side.
/// </summary>
public sealed record PairSplit(IReadOnlyList<int> Train, IReadOnlyList<int> Test, IReadOnlyList<string> TestGroups)
{
    /// <summary>The items of <paramref name="all"/> at the training indices, in order.</summary>
    public IReadOnlyList<T> TrainOf<T>(IReadOnlyList<T> all) => Train.Select(i => all[i]).ToArray();

    /// <summary>The items of <paramref name="all"/> at the held-out indices, in order.</summary>
    public IReadOnlyList<T> TestOf<T>(IReadOnlyList<T> all) => Test.Select(i => all[i]).ToArray();
}
