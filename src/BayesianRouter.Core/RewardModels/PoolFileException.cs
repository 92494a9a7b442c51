namespace BayesianRouter.RewardModels;

/// <summary>Bad input in a pool file: the message reads <c>FILE: FIELD: what is wrong</c> (or <c>FILE:LINE: ...</c>
/// for JSON that does not parse). Commands report it as one line, without a stack trace.</summary>
public sealed class PoolFileException : Exception
{
    public PoolFileException(string file, string? field, string problem, Exception? inner = null)
        : base(field is null ? $"{file}: {problem}" : $"{file}: {field}: {problem}", inner)
    {
        File = file;
        Field = field;
        Problem = problem;
    }

    public string File { get; }

    /// <summary>The field's path, e.g. <c>rms[2].url</c>; null when the problem is the file itself.</summary>
    public string? Field { get; }

    public string Problem { get; }
}
