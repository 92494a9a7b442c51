using BayesianRouter.Offline;
using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Baselines;

/// <summary>
/// The domain-greedy baseline (issue 17): per domain, the RM with the best running accuracy, the offline part's counts
/// as pseudo-counts. For arm n in domain d the estimate is (R_nd + sum of rewards) / (N_d + feedback count), where R_nd
/// and N_d are the arm's right count and the pair count of domain d on the offline part; for a domain the offline part
/// does not have, the arm's accuracy over the whole offline part with <see cref="UnseenDomainWeight"/> pseudo-pairs.
/// Greedy: no exploration (lowest index on ties). Rewards count as they come (truth and audit are 0/1; other feedback
/// is read as an accuracy). Input: [h; domain id; prompt id] from <see cref="Context"/>; h is not read. Without a
/// domain (a null name) every pair is one domain whose prior is the whole offline part: the best single RM on it.
/// </summary>
public sealed class DomainGreedyRouter : RouterBase, IKeyedRouter, ICheckpointable
{
    /// <summary>Pseudo-pairs of a domain unseen offline (fixed with the baseline's definition, not tuned).</summary>
    public const double UnseenDomainWeight = 10;

    private readonly int _featureDimension;
    private readonly ArmAccuracies _offline;
    private KeyNames _domains = new(), _prompts = new();
    private Dictionary<int, (double[] Sum, int[] Count)> _online = [];

    public DomainGreedyRouter(int arms, int featureDimension, ArmAccuracies offline) : base(arms, featureDimension + 2)
    {
        _featureDimension = featureDimension;
        _offline = offline ?? throw new ArgumentNullException(nameof(offline));
        if (offline.Pool.Count != arms) throw new ArgumentException($"the offline counts are for {offline.Pool.Count} arms, the router has {arms}");
    }

    /// <summary>
    /// [h; domain id; prompt id]. Domain names are always interned (its prior depends on the name, and a pool of domains
    /// is small); a prompt name only with <paramref name="intern"/>.
    /// </summary>
    public double[] Context(double[] h, string? domain, string? prompt, bool intern = true)
    {
        _domains.Id(domain, intern: true);
        return KeyNames.Context(h, _featureDimension, _domains, domain, _prompts, prompt, intern);
    }

    /// <summary>The running accuracy of every arm in a domain (by name; null = no domain): what the router ranks by.</summary>
    public double[] Estimates(string? domain) => Estimates(_domains.Id(domain, intern: true), domain);

    private double[] Estimates(int id, string? name)
    {
        var (prior, weight) = Prior(name, id == KeyNames.Unknown);
        var est = new double[Arms];
        _online.TryGetValue(id, out var o);
        for (int n = 0; n < Arms; n++)
        {
            double sum = prior[n] + (o.Sum?[n] ?? 0);
            double count = weight + (o.Count?[n] ?? 0);
            est[n] = count > 0 ? sum / count : 0;
        }
        return est;
    }

    /// <summary>Pseudo right counts per arm and pseudo-pairs of a domain (all of the offline part when there is no domain).</summary>
    private (double[] Right, double Pairs) Prior(string? domain, bool none)
    {
        if (none) return (_offline.Right.Select(r => (double)r).ToArray(), _offline.Pairs);
        if (_offline.InDomain(domain) is { } d && d.Pairs > 0) return (d.Right.Select(r => (double)r).ToArray(), d.Pairs);
        return (Enumerable.Range(0, Arms).Select(n => _offline.Pairs == 0 ? 0 : UnseenDomainWeight * _offline.Accuracy(n)).ToArray(), UnseenDomainWeight);
    }

    protected override IReadOnlyList<RoutingDecision> SelectValidated(IReadOnlyList<double[]> contexts)
    {
        var decisions = new RoutingDecision[contexts.Count];
        for (int p = 0; p < decisions.Length; p++)
        {
            int d = _domains.Check(contexts[p], _featureDimension, false, p);
            _prompts.Check(contexts[p], _featureDimension + 1, true, p);
            decisions[p] = new RoutingDecision(ArgMax(Estimates(d, d >= 0 ? _domains[d] : null)), 1.0);
        }
        return decisions;
    }

    protected override void UpdateValidated(IReadOnlyList<ArmFeedback> feedback)
    {
        var domains = new int[feedback.Count];
        for (int i = 0; i < feedback.Count; i++)
        {
            domains[i] = _domains.Check(feedback[i].Context, _featureDimension, false, i);
            _prompts.Check(feedback[i].Context, _featureDimension + 1, false, i);
        }
        for (int i = 0; i < feedback.Count; i++)
        {
            if (!_online.TryGetValue(domains[i], out var o)) _online[domains[i]] = o = (new double[Arms], new int[Arms]);
            o.Sum[feedback[i].Arm] += feedback[i].Reward;
            o.Count[feedback[i].Arm]++;
        }
    }

    public string StateKind => "domain-greedy";
    public int StateVersion => 1;

    public void WriteState(BinaryWriter w)
    {
        w.Write(Arms);
        w.Write(_featureDimension);
        _domains.Write(w);
        _prompts.Write(w);
        w.Write(_online.Count);
        foreach (var (d, (sum, count)) in _online.OrderBy(kv => kv.Key))
        {
            w.Write(d);
            for (int n = 0; n < Arms; n++)
            {
                w.Write(sum[n]);
                w.Write(count[n]);
            }
        }
    }

    public Action ReadState(BinaryReader r, int version)
    {
        if (version != StateVersion) throw new InvalidDataException($"domain-greedy state version {version} is not supported");
        r.ReadExpected(Arms, "arms");
        r.ReadExpected(_featureDimension, "feature dimension");
        var domains = KeyNames.Read(r, "domain");
        var prompts = KeyNames.Read(r, "prompt");
        int count = r.ReadInt32();
        if (count < 0) throw new InvalidDataException("negative domain count");
        var online = new Dictionary<int, (double[] Sum, int[] Count)>(count);
        for (int i = 0; i < count; i++)
        {
            int d = r.ReadInt32();
            if (d < KeyNames.Unknown || d >= domains.Count) throw new InvalidDataException($"domain entry {i} ({d}) is out of range");
            var (sum, n) = (new double[Arms], new int[Arms]);
            for (int a = 0; a < Arms; a++)
            {
                sum[a] = r.ReadDouble();
                n[a] = r.ReadInt32();
                if (!double.IsFinite(sum[a]) || n[a] < 0) throw new InvalidDataException($"domain entry {i}, arm {a}: ({sum[a]}, {n[a]}) is out of range");
            }
            if (!online.TryAdd(d, (sum, n))) throw new InvalidDataException($"domain {d} appears twice");
        }
        return () => (_domains, _prompts, _online) = (domains, prompts, online);
    }
}
