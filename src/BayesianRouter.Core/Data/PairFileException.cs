namespace BayesianRouter.Data;

/// <summary>Bad input in a file: the message reads <c>FILE:LINE: what is wrong</c>.</summary>
public sealed class PairFileException : Exception
{
    public PairFileException(string file, long line, string problem, Exception? inner = null)
        : base(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}", inner)
    {
        File = file;
        Line = line;
        Problem = problem;
    }

    public string File { get; }
    public long Line { get; }
    public string Problem { get; }
}
