namespace BayesianRouter.RewardModels;

/// <summary>
/// An RM that answers from one RM's recorded judgments (<see cref="RecordedJudgments"/>): a dry run of a pipeline on
/// recorded behaviour, without a server. A pair it has no record of is a <see cref="RmFailure.NotFound"/> failure.
/// </summary>
public sealed class RecordedRewardModel(RecordedJudgments record) : IRewardModel
{
    public RecordedJudgments Record { get; } = record ?? throw new ArgumentNullException(nameof(record));

    public string Name => Record.Rm;

    public Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<RmJudgment>>(pairs.Select(Record.Judge).ToArray());
    }
}

/// <summary>
/// A scalar RM that answers from one RM's recorded scores, by (prompt, response). Only for an RM whose recorded
/// judgments are all scores. A response it has no score for fails the call (<see cref="RecordedTextNotFoundException"/>),
/// as the <see cref="IRewardScorer"/> contract says an exception does.
/// </summary>
public sealed class RecordedRewardScorer : IRewardScorer
{
    public RecordedRewardScorer(RecordedJudgments record)
    {
        Record = record ?? throw new ArgumentNullException(nameof(record));
        if (!record.AllScored)
            throw new ArgumentException($"RM \"{record.Rm}\" has recorded verdicts (a | b | tie), not scores: it cannot answer as a scalar RM");
    }

    public RecordedJudgments Record { get; }

    public string Name => Record.Rm;

    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<ResponseText> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        cancellationToken.ThrowIfCancellationRequested();
        var scores = new double[items.Count];
        for (int i = 0; i < items.Count; i++)
            if (!Record.TryGetScore(items[i].Prompt, items[i].Response, out scores[i]))
                throw new RecordedTextNotFoundException(Record.MissingScore(items[i].Prompt, items[i].Response));
        return Task.FromResult<IReadOnlyList<double>>(scores);
    }
}

/// <summary>A recorded RM was asked about text it has no record of.</summary>
public sealed class RecordedTextNotFoundException(string message) : Exception(message);
