namespace BayesianRouter.Data.Import;

/// <summary>What an import skipped or noticed besides the pairs it produced: shown to the user after the import.</summary>
public sealed class ImportReport
{
    private readonly SortedDictionary<string, int> _skipped = new(StringComparer.Ordinal);
    private readonly List<string> _notes = [];

    /// <summary>Rows or judgments left out, by reason (e.g. "Ties subset rows").</summary>
    public IReadOnlyDictionary<string, int> Skipped => _skipped;

    /// <summary>Other facts worth telling the user (e.g. how many pairs got a domain).</summary>
    public IReadOnlyList<string> Notes => _notes;

    public void Skip(string reason, int count = 1)
    {
        if (count <= 0) return;
        _skipped[reason] = _skipped.GetValueOrDefault(reason) + count;
    }

    public void Note(string note) => _notes.Add(note);

    /// <summary>One line per skip reason, then the notes.</summary>
    public IEnumerable<string> Lines() =>
        _skipped.Select(kv => $"skipped {kv.Value} {kv.Key}").Concat(_notes);
}
