using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Baselines;

/// <summary>
/// The win-stay baseline (issue 17): per prompt (group), keep the RM whose label was right there last time, else take
/// the offline router's pick among the RMs that have not been wrong there (win-stay, lose-shift down the offline
/// router's ranking; all of them wrong: the offline router's pick). A label counts as right when its feedback reward is
/// above 1/2 (truth and audit rewards are 0/1; shaped DPO losses lie in [0, 1] with 1/2 in the middle of the recent
/// range), wrong below 1/2, and a reward of exactly 1/2 (a tie of agreement feedback, a first batch of shaped losses)
/// says nothing. Input: [h; domain id; prompt id] from <see cref="Context"/>; decisions have probability 1. It reads the
/// same features, domain and group as the bayesian-router; it learns nothing across prompts.
/// </summary>
public sealed class WinStayRouter : RouterBase, IKeyedRouter, ICheckpointable
{
    private readonly int _featureDimension;
    private readonly Func<double[], double[]> _ranking;
    private KeyNames _domains = new(), _prompts = new();
    private Dictionary<int, int> _stay = [];
    private Dictionary<int, SortedSet<int>> _failed = [];

    /// <param name="arms">Pool size.</param>
    /// <param name="featureDimension">Length of h.</param>
    /// <param name="ranking">One score per arm from h, highest first (the offline router's BT scores): the order in which RMs are tried.</param>
    public WinStayRouter(int arms, int featureDimension, Func<double[], double[]> ranking) : base(arms, featureDimension + 2)
    {
        _featureDimension = featureDimension;
        _ranking = ranking ?? throw new ArgumentNullException(nameof(ranking));
    }

    /// <inheritdoc />
    public double[] Context(double[] h, string? domain, string? prompt, bool intern = true) =>
        KeyNames.Context(h, _featureDimension, _domains, domain, _prompts, prompt, intern);

    /// <summary>The RM kept for a prompt (null when none).</summary>
    public int? Kept(string prompt) => _prompts.Id(prompt, intern: false) is >= 0 and var id && _stay.TryGetValue(id, out var arm) ? arm : null;

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts)
    {
        var decisions = new RoutingDecision[contexts.Count];
        for (int p = 0; p < decisions.Length; p++)
        {
            var x = contexts[p];
            _domains.Check(x, _featureDimension, true, p);
            int prompt = _prompts.Check(x, _featureDimension + 1, true, p);
            decisions[p] = new RoutingDecision(prompt >= 0 && _stay.TryGetValue(prompt, out var kept) ? kept : Shift(x, prompt), 1.0);
        }
        return decisions;
    }

    /// <summary>The offline router's best-ranked RM that has not been wrong on the prompt (all wrong: its pick).</summary>
    private int Shift(double[] x, int prompt)
    {
        var scores = CheckScores(_ranking(x[.._featureDimension]), Arms, "the ranking");
        int best = -1;
        _failed.TryGetValue(prompt, out var failed);
        for (int n = 0; n < Arms; n++)
            if ((failed == null || !failed.Contains(n)) && (best < 0 || scores[n] > scores[best])) best = n;
        return best >= 0 ? best : ArgMax(scores);
    }

    protected override void UpdateValidated(IReadOnlyList<ArmFeedback> feedback)
    {
        var prompts = new int[feedback.Count];
        for (int i = 0; i < feedback.Count; i++)
        {
            _domains.Check(feedback[i].Context, _featureDimension, false, i);
            prompts[i] = _prompts.Check(feedback[i].Context, _featureDimension + 1, false, i);
        }
        for (int i = 0; i < feedback.Count; i++)
        {
            int g = prompts[i];
            if (g < 0) continue;
            var (arm, reward) = (feedback[i].Arm, feedback[i].Reward);
            if (reward > 0.5)
            {
                _stay[g] = arm;
                if (_failed.TryGetValue(g, out var f)) f.Remove(arm);
            }
            else if (reward < 0.5)
            {
                if (_stay.TryGetValue(g, out var kept) && kept == arm) _stay.Remove(g);
                if (!_failed.TryGetValue(g, out var f)) _failed[g] = f = [];
                f.Add(arm);
            }
        }
    }

    public string StateKind => "win-stay";
    public int StateVersion => 1;

    public void WriteState(BinaryWriter w)
    {
        w.Write(Arms);
        w.Write(_featureDimension);
        _domains.Write(w);
        _prompts.Write(w);
        w.Write(_stay.Count);
        foreach (var (g, arm) in _stay.OrderBy(kv => kv.Key))
        {
            w.Write(g);
            w.Write(arm);
        }
        w.Write(_failed.Count);
        foreach (var (g, arms) in _failed.OrderBy(kv => kv.Key))
        {
            w.Write(g);
            w.Write(arms.Count);
            foreach (var a in arms) w.Write(a);
        }
    }

    public Action ReadState(BinaryReader r, int version)
    {
        if (version != StateVersion) throw new InvalidDataException($"win-stay state version {version} is not supported");
        r.ReadExpected(Arms, "arms");
        r.ReadExpected(_featureDimension, "feature dimension");
        var domains = KeyNames.Read(r, "domain");
        var prompts = KeyNames.Read(r, "prompt");
        int count = r.ReadInt32();
        if (count < 0) throw new InvalidDataException("negative count of kept RMs");
        var stay = new Dictionary<int, int>(count);
        for (int i = 0; i < count; i++)
        {
            int g = r.ReadInt32(), arm = r.ReadInt32();
            if (g < 0 || g >= prompts.Count || arm < 0 || arm >= Arms || !stay.TryAdd(g, arm))
                throw new InvalidDataException($"kept RM entry {i} (prompt {g}, arm {arm}) is out of range");
        }
        int failedCount = r.ReadInt32();
        if (failedCount < 0) throw new InvalidDataException("negative count of prompts with wrong RMs");
        var failed = new Dictionary<int, SortedSet<int>>(failedCount);
        for (int i = 0; i < failedCount; i++)
        {
            int g = r.ReadInt32(), n = r.ReadInt32();
            if (g < 0 || g >= prompts.Count || n < 0 || n > Arms) throw new InvalidDataException($"wrong-RM entry {i} (prompt {g}, {n} RMs) is out of range");
            var set = new SortedSet<int>();
            for (int k = 0; k < n; k++)
            {
                int a = r.ReadInt32();
                if (a < 0 || a >= Arms || !set.Add(a)) throw new InvalidDataException($"wrong-RM entry {i}: arm {a} is out of range or repeated");
            }
            if (!failed.TryAdd(g, set)) throw new InvalidDataException($"prompt {g} appears twice among the wrong RMs");
        }
        return () => (_domains, _prompts, _stay, _failed) = (domains, prompts, stay, failed);
    }
}
