using System.Diagnostics;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Live;

/// <summary>
/// Labels routed pairs with the pool's RMs: each pair goes to its decision's RM; the pairs of one RM go in one batched
/// call, the RMs' calls run concurrently (at most <see cref="PoolLabellerOptions.MaxConcurrency"/> calls in flight per
/// RM, across all callers, when set); a pair whose RM failed moves to the next RM of its decision's fallback order in the next
/// round. A pair no RM could label gets an outcome with no label and the reasons. Every outcome and failure carries the
/// requests its RM was sent for the pair (<see cref="RmJudgment.Attempts"/>: retries included), which the session
/// charges to the budget. Nothing but cancellation of
/// <c>cancellationToken</c> throws out of <see cref="LabelAsync"/>: an RM that throws, times out, or answers with the
/// wrong number of judgments fails the pairs of that call.
/// <para>
/// With a <see cref="PoolLabellerOptions.Deadline"/>, one <see cref="LabelAsync"/> call ends by its deadline: a round
/// whose pairs could still fall back gets half of the time left, the last possible round all of it; an RM call not
/// answered by then is cancelled and its pairs fall back (or, with no time left, stay unlabelled, saying so).
/// </para>
/// </summary>
public sealed class PoolLabeller
{
    private readonly IRewardModel[] _pool;
    private readonly SemaphoreSlim?[] _slots;

    /// <param name="pool">The RMs in arm order (names as in the router's pool).</param>
    public PoolLabeller(IReadOnlyList<IRewardModel> pool, PoolLabellerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (pool.Count == 0) throw new ArgumentException("the pool needs at least one RM", nameof(pool));
        Options = options ?? new PoolLabellerOptions();
        _pool = pool.ToArray();
        var limits = Options.MaxConcurrency;
        if (limits != null && limits.Count != _pool.Length)
            throw new ArgumentException($"{limits.Count} concurrency limits for {_pool.Length} RMs");
        _slots = new SemaphoreSlim[_pool.Length];
        for (int n = 0; n < _pool.Length; n++)
        {
            if (limits is null) continue;
            int limit = limits[n];
            if (limit < 1) throw new ArgumentException($"RM {_pool[n].Name}: max concurrency must be at least 1 (got {limit})");
            _slots[n] = new SemaphoreSlim(limit, limit);
        }
        if (Options.MaxAttempts < 1) throw new ArgumentException($"max attempts must be at least 1 (got {Options.MaxAttempts})");
        if (Options.Deadline is { } d && d <= TimeSpan.Zero) throw new ArgumentException($"the deadline must be positive (got {d})");
    }

    public PoolLabellerOptions Options { get; }

    /// <summary>The RMs, in arm order.</summary>
    public IReadOnlyList<IRewardModel> Pool => _pool;

    /// <summary>Labels every decision's pair (<paramref name="texts"/> aligned with <paramref name="decisions"/>), in order.</summary>
    public async Task<IReadOnlyList<LabelOutcome>> LabelAsync(IReadOnlyList<Decision> decisions, IReadOnlyList<PairText> texts,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(texts);
        if (decisions.Count != texts.Count) throw new ArgumentException($"{decisions.Count} decisions for {texts.Count} pairs");
        int count = decisions.Count;
        var outcomes = new LabelOutcome?[count];
        var failures = new List<FailedRm>?[count];
        var attempt = new int[count];
        int maxAttempts = Math.Min(Options.MaxAttempts, _pool.Length);

        var deadline = Options.Deadline;
        var clock = Stopwatch.StartNew();
        var pending = Enumerable.Range(0, count).ToList();
        while (pending.Count > 0)
        {
            var byArm = new Dictionary<int, List<int>>();
            bool fallbackLeft = false;
            foreach (var i in pending)
            {
                var order = decisions[i].FallbackOrder;
                int arm = attempt[i] < order.Count ? order[attempt[i]] : -1;
                if (arm < 0 || arm >= _pool.Length || attempt[i] >= maxAttempts)
                {
                    outcomes[i] = LabelOutcome.Unlabelled((IReadOnlyList<FailedRm>?)failures[i] ?? []);
                    continue;
                }
                if (attempt[i] + 1 < Math.Min(order.Count, maxAttempts)) fallbackLeft = true;
                (byArm.TryGetValue(arm, out var list) ? list : byArm[arm] = []).Add(i);
            }
            if (byArm.Count == 0) break;
            using var round = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            TimeSpan? roundLimit = null;
            if (deadline is { } total)
            {
                var left = total - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    foreach (var i in byArm.Values.SelectMany(v => v))
                        outcomes[i] = LabelOutcome.Unlabelled((IReadOnlyList<FailedRm>?)failures[i] ?? [],
                            $"the request's deadline of {Seconds(total)} passed before an RM labelled the pair" +
                            (failures[i] is { Count: > 0 } f ? ": " + string.Join("; ", f.Select(x => $"{x.Rm}: {x.Reason}")) : ""));
                    break;
                }
                roundLimit = fallbackLeft ? left / 2 : left;
                round.CancelAfter(roundLimit.Value);
            }
            var calls = byArm.Select(kv => CallAsync(kv.Key, kv.Value.Select(i => texts[i]).ToArray(), round.Token, cancellationToken, roundLimit)).ToArray();
            var results = await Task.WhenAll(calls).ConfigureAwait(false);
            pending = [];
            int c = 0;
            foreach (var (arm, items) in byArm)
            {
                var judgments = results[c++];
                for (int k = 0; k < items.Count; k++)
                {
                    int i = items[k];
                    var j = judgments[k];
                    if (j.Judgment is { } judgment)
                        outcomes[i] = LabelOutcome.Labelled(_pool[arm].Name, arm, judgment, (IReadOnlyList<FailedRm>?)failures[i] ?? []) with { Attempts = j.Attempts };
                    else
                    {
                        (failures[i] ??= []).Add(new FailedRm(_pool[arm].Name, j.Error ?? "no judgment") { Attempts = j.Attempts });
                        attempt[i]++;
                        pending.Add(i);
                    }
                }
            }
        }
        return outcomes!;
    }

    private static string Seconds(TimeSpan t) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.###} s");

    /// <summary>
    /// One batched call to one RM; every failure becomes failed judgments, never an exception. <paramref name="call"/>
    /// ends the call at the round's limit (<paramref name="limit"/>); only <paramref name="caller"/>'s cancellation throws.
    /// </summary>
    private async Task<RmJudgment[]> CallAsync(int arm, PairText[] pairs, CancellationToken call, CancellationToken caller, TimeSpan? limit)
    {
        var rm = _pool[arm];
        var slot = _slots[arm];
        var clock = Stopwatch.StartNew();
        if (slot != null)
        {
            try
            {
                await slot.WaitAsync(call).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!caller.IsCancellationRequested)
            {
                var waited = $"deadline: no free slot of {rm.Name} (max_concurrency) within {Seconds(limit ?? clock.Elapsed)}";
                Options.OnCall?.Invoke(new RmCall(rm.Name, arm, pairs.Length, pairs.Length, clock.Elapsed, waited));
                return Fill(pairs.Length, waited);
            }
        }
        RmJudgment[] results;
        string? error = null;
        try
        {
            var answer = await rm.JudgeAsync(pairs, call).ConfigureAwait(false);
            if (answer is null || answer.Count != pairs.Length)
            {
                error = $"returned {answer?.Count ?? 0} judgments for {pairs.Length} pairs";
                results = Fill(pairs.Length, error);
            }
            else results = answer.ToArray();
        }
        catch (OperationCanceledException) when (caller.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (call.IsCancellationRequested)
        {
            error = $"deadline: no answer within {Seconds(limit ?? clock.Elapsed)} (its share of the request's deadline)";
            results = Fill(pairs.Length, error);
        }
        catch (OperationCanceledException e)
        {
            error = $"timed out or cancelled ({e.Message})";
            results = Fill(pairs.Length, error);
        }
        catch (Exception e)
        {
            error = $"{e.GetType().Name}: {e.Message}";
            results = Fill(pairs.Length, error);
        }
        finally
        {
            slot?.Release();
        }
        int failed = results.Count(r => r.Judgment is null);
        Options.OnCall?.Invoke(new RmCall(rm.Name, arm, pairs.Length, failed, clock.Elapsed, error));
        return results;
    }

    private static RmJudgment[] Fill(int count, string reason)
    {
        var a = new RmJudgment[count];
        Array.Fill(a, RmJudgment.Failed(reason));
        return a;
    }
}

/// <summary>Options of <see cref="PoolLabeller"/>.</summary>
public sealed record PoolLabellerOptions
{
    /// <summary>Most calls in flight per RM (arm order); null = no limit here (RMs built from a pool file limit their
    /// own HTTP requests to the pool's <c>max_concurrency</c>).</summary>
    public IReadOnlyList<int>? MaxConcurrency { get; init; }

    /// <summary>Most RMs tried per pair (the chosen one and its fallbacks); default: every RM of the pool.</summary>
    public int MaxAttempts { get; init; } = int.MaxValue;

    /// <summary>
    /// The most time one <see cref="PoolLabeller.LabelAsync"/> call may take (null = no limit: each RM client's own
    /// timeouts and retries decide). A round of calls whose pairs could still fall back gets half of the time left, the
    /// last possible round all of it; an RM that has not answered by then fails its pairs ("deadline: ...") and they fall
    /// back; pairs still without a label when the time is up stay unlabelled.
    /// </summary>
    public TimeSpan? Deadline { get; init; }

    /// <summary>Called after every RM call (for metrics); must be thread-safe and quick.</summary>
    public Action<RmCall>? OnCall { get; init; }
}

/// <summary>One batched RM call: how many pairs, how many failed, how long it took, and the call's error if it failed whole.</summary>
public readonly record struct RmCall(string Rm, int Arm, int Pairs, int Failed, TimeSpan Elapsed, string? Error);
