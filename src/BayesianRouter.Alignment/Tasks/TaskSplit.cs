namespace BayesianRouter.Alignment.Tasks;

/// <summary>
/// The task's problems in four parts that are disjoint <b>by their numbers</b> (<see cref="Problem.Key"/>: every wording
/// of a key lies in one part), the same for every experiment seed (fixed by <see cref="Seed"/>):
/// <list type="bullet">
/// <item><b>test</b>: one wording per key, scored once per reported run, never trained or tuned on;</item>
/// <item><b>validation</b>: one wording per key; hyper-parameters are chosen on it (<c>--eval-on validation</c>) and
/// the accuracy along a run is followed on it;</item>
/// <item><b>offline</b>: one verbal and one symbolic wording per key; the pool's behaviour on the start policy's pairs
/// of these prompts trains the offline router;</item>
/// <item><b>train</b>: every wording of the remaining keys; the supervised start learns from it (and its tokenizer
/// from its texts only), and the online DPO stream draws from it.</item>
/// </list>
/// Each held-out part takes the same number of keys from every domain; in test and validation the two wordings
/// alternate, so each holds as many verbal as symbolic questions.
/// </summary>
public sealed class TaskSplit
{
    public TaskSplit(int testPerDomain = 150, int offlinePerDomain = 100, int validationPerDomain = 100, int seed = 1)
    {
        if (testPerDomain < 1 || offlinePerDomain < 1 || validationPerDomain < 1)
            throw new ArgumentException("every part of the split needs at least one key per domain");
        Seed = seed;
        var test = new List<Problem>();
        var offline = new List<Problem>();
        var validation = new List<Problem>();
        var train = new List<Problem>();
        var rng = new Random(seed);
        foreach (var domain in ArithmeticTask.Domains)
        {
            var byKey = ArithmeticTask.All.Where(p => p.Domain == domain).GroupBy(p => p.Key).Select(g => g.ToArray()).ToArray();
            rng.Shuffle(byKey);
            int need = testPerDomain + offlinePerDomain + validationPerDomain;
            if (byKey.Length < need + 50)
                throw new ArgumentException($"domain {domain} has {byKey.Length} problems, too few for {need} held-out ones plus training problems");
            for (int k = 0; k < testPerDomain; k++) test.Add(OneWording(byKey[k], k % 2 == 0 ? Wording.Verbal : Wording.Symbolic, rng));
            foreach (var key in byKey.Skip(testPerDomain).Take(offlinePerDomain))
            {
                offline.Add(OneWording(key, Wording.Verbal, rng));
                offline.Add(OneWording(key, Wording.Symbolic, rng));
            }
            int v = 0;
            foreach (var key in byKey.Skip(testPerDomain + offlinePerDomain).Take(validationPerDomain))
                validation.Add(OneWording(key, v++ % 2 == 0 ? Wording.Verbal : Wording.Symbolic, rng));
            foreach (var key in byKey.Skip(need)) train.AddRange(key);
        }
        Test = test;
        Offline = offline;
        Validation = validation;
        Train = train;
    }

    private static Problem OneWording(Problem[] key, Wording style, Random rng)
    {
        var options = key.Where(p => p.Style == style).ToArray();
        return options[rng.Next(options.Length)];
    }

    public int Seed { get; }
    public IReadOnlyList<Problem> Test { get; }
    public IReadOnlyList<Problem> Offline { get; }
    public IReadOnlyList<Problem> Validation { get; }
    public IReadOnlyList<Problem> Train { get; }

    /// <summary>
    /// A hash of the test prompts and their answers, in order (<c>results.json</c>'s <c>test_set_hash</c>): two runs
    /// scored the same test set exactly when their hashes agree.
    /// </summary>
    public string TestHash() => StableHash.Hex(string.Join("\n", Test.Select(p => $"{p.Prompt}\t{p.Answer}")), 16);

    /// <summary>
    /// The online stream of one seed: <paramref name="steps"/> batches of <paramref name="perStep"/> prompts from
    /// <paramref name="pool"/>. The domains take turns (so the large domains do not swamp the small ones) and within a
    /// domain the prompts come in epochs: each once, in a fresh seeded order, before any comes again. Every method of
    /// the seed sees this stream in this order.
    /// </summary>
    public static Problem[][] Stream(IReadOnlyList<Problem> pool, int steps, int perStep, int seed)
    {
        var byDomain = ArithmeticTask.Domains.Select(d => pool.Where(p => p.Domain == d).ToArray()).Where(a => a.Length > 0).ToArray();
        if (byDomain.Length == 0) throw new ArgumentException("the stream's pool holds no problem");
        var rng = new Random(seed);
        var queues = byDomain.Select(_ => new Queue<Problem>()).ToArray();
        int turn = rng.Next(byDomain.Length);
        var stream = new Problem[steps][];
        for (int s = 0; s < steps; s++)
        {
            stream[s] = new Problem[perStep];
            for (int i = 0; i < perStep; i++)
            {
                int d = turn++ % byDomain.Length;
                if (queues[d].Count == 0)
                {
                    var epoch = byDomain[d].ToArray();
                    rng.Shuffle(epoch);
                    foreach (var p in epoch) queues[d].Enqueue(p);
                }
                stream[s][i] = queues[d].Dequeue();
            }
        }
        return stream;
    }
}
