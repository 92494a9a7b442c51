namespace BayesianRouter.Data.Import;

/// <summary>
/// Turns data in a public format into preference pairs (the pair file's records). An importer is built with its
/// own options (seed, scorers, ...) and then reads one source.
/// </summary>
public interface IPairImporter
{
    /// <summary>The format's name on the command line (<c>bayesrouter data import &lt;format&gt;</c>).</summary>
    string Format { get; }

    /// <summary>
    /// Streams the pairs read from <paramref name="source"/> (a file or a folder, as the format wants), in a
    /// deterministic order. Bad input throws <see cref="PairFileException"/> naming the file and line; rows the
    /// format says to skip are counted in <paramref name="report"/>, never dropped silently.
    /// </summary>
    IEnumerable<PreferencePair> Import(string source, ImportReport report);
}
