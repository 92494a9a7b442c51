namespace BayesianRouter.Data.Import;

/// <summary>
/// Seeded a/b placement: public data lists the chosen response first; a pair file must not, or an RM or router
/// that always says "a" would look perfect. For every pair, in import order, a coin drawn from a generator seeded
/// by the caller decides whether the chosen response lands on a or b; the judgments are swapped with it.
/// </summary>
public sealed class PairPlacement(int seed)
{
    /// <summary>The seed every importer uses unless told otherwise (<c>--seed</c>).</summary>
    public const int DefaultSeed = 1;

    private readonly Random _coin = new(seed);

    /// <summary>
    /// Builds a pair with the ground truth placed by the next coin. <paramref name="chosenFirst"/> holds judgments
    /// written as if a = chosen and b = rejected (score_a = the chosen response's score).
    /// </summary>
    public PreferencePair Place(
        string id, string group, string prompt, string chosen, string rejected, string? domain,
        IEnumerable<KeyValuePair<string, Judgment>>? chosenFirst = null)
    {
        bool chosenOnB = _coin.Next(2) == 1;
        var judgments = new Dictionary<string, Judgment>(StringComparer.Ordinal);
        if (chosenFirst != null)
            foreach (var (rm, j) in chosenFirst)
                judgments.Add(rm, chosenOnB ? j.Swapped() : j);
        return new PreferencePair
        {
            Id = id,
            Group = group,
            Prompt = prompt,
            ResponseA = chosenOnB ? rejected : chosen,
            ResponseB = chosenOnB ? chosen : rejected,
            Preferred = chosenOnB ? Preference.B : Preference.A,
            Domain = domain,
            Judgments = judgments,
        };
    }
}
