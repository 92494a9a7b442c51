namespace BayesianRouter.Alignment.Tasks;

/// <summary>
/// The task's prompts in four disjoint parts, the same for every experiment seed (fixed by <see cref="Seed"/>):
/// <b>test</b> (held out: only ever scored), <b>offline</b> (the pool's recorded behaviour on the start policy's pairs
/// trains the offline router), <b>validation</b> (carved out of the training prompts to choose hyper-parameters) and
/// <b>train</b> (the online DPO stream). Each part takes the same number of prompts from every domain, except train,
/// which holds the rest. The supervised start is trained on train + validation + offline, never on test.
/// </summary>
public sealed class TaskSplit
{
    public TaskSplit(int testPerDomain = 260, int offlinePerDomain = 100, int validationPerDomain = 100, int seed = 1)
    {
        if (testPerDomain < 1 || offlinePerDomain < 1 || validationPerDomain < 1)
            throw new ArgumentException("every part of the split needs at least one prompt per domain");
        Seed = seed;
        var test = new List<Problem>();
        var offline = new List<Problem>();
        var validation = new List<Problem>();
        var train = new List<Problem>();
        var rng = new Random(seed);
        foreach (var domain in ArithmeticTask.Domains)
        {
            var problems = ArithmeticTask.All.Where(p => p.Domain == domain).ToArray();
            rng.Shuffle(problems);
            int need = testPerDomain + offlinePerDomain + validationPerDomain;
            if (problems.Length <= need)
                throw new ArgumentException($"domain {domain} has {problems.Length} prompts, too few for {need} held-out ones plus training prompts");
            test.AddRange(problems.Take(testPerDomain));
            offline.AddRange(problems.Skip(testPerDomain).Take(offlinePerDomain));
            validation.AddRange(problems.Skip(testPerDomain + offlinePerDomain).Take(validationPerDomain));
            train.AddRange(problems.Skip(need));
        }
        Test = test;
        Offline = offline;
        Validation = validation;
        Train = train;
    }

    public int Seed { get; }
    public IReadOnlyList<Problem> Test { get; }
    public IReadOnlyList<Problem> Offline { get; }
    public IReadOnlyList<Problem> Validation { get; }
    public IReadOnlyList<Problem> Train { get; }

    /// <summary>Everything but the test prompts (what the supervised start may see).</summary>
    public IEnumerable<Problem> NotTest => Train.Concat(Validation).Concat(Offline);

    /// <summary>
    /// The online stream of one seed: <paramref name="steps"/> batches of <paramref name="perStep"/> prompts drawn from
    /// <paramref name="pool"/> with each domain equally likely (so the large comparison domain does not swamp the rest).
    /// Every method of the seed sees this stream in this order.
    /// </summary>
    public static Problem[][] Stream(IReadOnlyList<Problem> pool, int steps, int perStep, int seed)
    {
        var byDomain = ArithmeticTask.Domains.Select(d => pool.Where(p => p.Domain == d).ToArray()).Where(a => a.Length > 0).ToArray();
        var rng = new Random(seed);
        var stream = new Problem[steps][];
        for (int s = 0; s < steps; s++)
        {
            stream[s] = new Problem[perStep];
            for (int i = 0; i < perStep; i++)
            {
                var d = byDomain[rng.Next(byDomain.Length)];
                stream[s][i] = d[rng.Next(d.Length)];
            }
        }
        return stream;
    }
}
