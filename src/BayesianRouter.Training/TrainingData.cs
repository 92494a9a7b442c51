using BayesianRouter.Data;
using BayesianRouter.Data.Splits;
using BayesianRouter.Features;
using BayesianRouter.Offline;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesianRouter.Training;

/// <summary>Fusion inputs and behaviour labels of one training run, on the training and validation rows.</summary>
internal sealed record LabelledTensors(Tensor X, Tensor Delta, Tensor Known);

/// <summary>
/// Checks and lays out the training pairs: x_i = [e + e'; |e - e'|; onehot(domain)], the behaviour labels of the
/// pool (pairs with no known label are dropped), and the seeded validation split by group.
/// </summary>
internal sealed class TrainingData
{
    private TrainingData(double[] x, int input, int encoderDimension, BehaviourLabels labels, string[] domains,
        int[] trainRows, int[] validationRows, long triples)
    {
        X = x; InputDimension = input; EncoderDimension = encoderDimension; Labels = labels; Domains = domains;
        TrainRows = trainRows; ValidationRows = validationRows; DisagreementTriples = triples;
    }

    public double[] X { get; }
    public int InputDimension { get; }
    public int EncoderDimension { get; }
    public BehaviourLabels Labels { get; }
    public string[] Domains { get; }
    public int[] TrainRows { get; }
    public int[] ValidationRows { get; }
    public long DisagreementTriples { get; }

    public static TrainingData Build(IReadOnlyList<PreferencePair> pairs, IReadOnlyList<PairEmbedding> embeddings,
        IReadOnlyList<string> pool, OfflineTrainingOptions o)
    {
        if (pool.Count < 2) throw new ArgumentException($"the pool needs at least 2 RMs to route between, got {pool.Count}");
        var dup = pool.GroupBy(x => x, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"RM \"{dup.Key}\" appears twice in the pool");
        if (embeddings.Count != pairs.Count) throw new ArgumentException($"{embeddings.Count} embeddings for {pairs.Count} pairs");
        if (pairs.Count == 0) throw new ArgumentException("no training pairs");
        int dim = embeddings[0].E.Length;
        for (int i = 0; i < embeddings.Count; i++)
        {
            if (embeddings[i].E.Length != dim || embeddings[i].EPrime.Length != dim)
                throw new ArgumentException($"pair {pairs[i].Id}: embedding dimension differs from the first pair's ({dim})");
        }

        var labels = BehaviourLabels.Of(pairs, pool);
        var known = Enumerable.Range(0, pairs.Count)
            .Where(i => Enumerable.Range(0, pool.Count).Any(k => labels.Known[i * pool.Count + k] == 1)).ToArray();
        if (known.Length == 0)
            throw new ArgumentException("no training pair has both a ground truth (\"preferred\") and a judgment by a pool RM");
        for (int k = 0; k < pool.Count; k++)
        {
            if (!known.Any(i => labels.Known[i * pool.Count + k] == 1))
                throw new ArgumentException($"RM \"{pool[k]}\" judged none of the training pairs with a ground truth");
        }

        var domains = o.UseDomain
            ? pairs.Select(p => p.Domain).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()
            : [];
        int input = 2 * dim + domains.Length;
        var x = new double[pairs.Count * input];
        for (int i = 0; i < pairs.Count; i++)
        {
            var xi = OfflineRouter.FusionInput(embeddings[i], pairs[i].Domain, domains);
            for (int k = 0; k < 2 * dim; k++) xi[k] *= o.EmbeddingScale;   // undone by FoldEmbeddingScale
            xi.CopyTo(x, i * input);
        }

        int[] trainRows = known, validationRows = [];
        if (o.ValidationFraction > 0)
        {
            var knownPairs = known.Select(i => pairs[i]).ToArray();
            var split = GroupSplit.ByFraction(knownPairs, o.ValidationFraction, ValidationSeed(o.Seed));
            if (split.Train.Count > 0 && split.Test.Count > 0)
            {
                trainRows = split.Train.Select(j => known[j]).ToArray();
                validationRows = split.Test.Select(j => known[j]).ToArray();
            }
        }

        var trainLabels = BehaviourLabels.Of(trainRows.Select(i => pairs[i]).ToArray(), pool);
        long triples = trainLabels.DisagreementCount();
        if (triples == 0 && o.Lambda == 0)
            throw new ArgumentException("the training pairs hold no disagreement (no pair where one pool RM is right and another wrong): nothing to learn with lambda = 0");
        return new TrainingData(x, input, dim, labels, domains, trainRows, validationRows, triples);
    }

    /// <summary>
    /// Turns weights trained on scaled inputs (x_emb * s) into the artifact's weights on raw inputs: the embedding
    /// columns of W are multiplied by s, so W' x = W (x with its embedding part scaled).
    /// </summary>
    public static void FoldEmbeddingScale(double[] w, int fused, int input, int encoderDimension, double scale)
    {
        for (int r = 0; r < fused; r++)
            for (int k = 0; k < 2 * encoderDimension; k++) w[r * input + k] *= scale;
    }

    /// <summary>The validation split's seed: derived from the training seed so it differs from the test split's shuffle.</summary>
    public static int ValidationSeed(int seed) => unchecked(seed * 1_000_003 + 7);

    /// <summary>Tensors of the given rows (created in the caller's dispose scope).</summary>
    public LabelledTensors Tensors(int[] rows)
    {
        int n = Labels.Arms;
        var x = new double[rows.Length * InputDimension];
        var delta = new double[rows.Length * n];
        var known = new double[rows.Length * n];
        for (int r = 0; r < rows.Length; r++)
        {
            Array.Copy(X, (long)rows[r] * InputDimension, x, (long)r * InputDimension, InputDimension);
            Array.Copy(Labels.Delta, rows[r] * n, delta, r * n, n);
            Array.Copy(Labels.Known, rows[r] * n, known, r * n, n);
        }
        return new LabelledTensors(
            torch.tensor(x, [rows.Length, InputDimension], ScalarType.Float64),
            torch.tensor(delta, [rows.Length, n], ScalarType.Float64),
            torch.tensor(known, [rows.Length, n], ScalarType.Float64));
    }
}
