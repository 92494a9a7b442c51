using System.Globalization;
using BayesianRouter.Data;
using BayesianRouter.Data.Splits;
using BayesianRouter.Features;
using BayesianRouter.Offline;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesianRouter.Training;

/// <summary>
/// Trains the offline router of paper section 3.2 with TorchSharp: a single fusing layer over the frozen
/// encoder's [e + e'; |e - e'|] (plus the one-hot domain when asked), a BT head trained with the Bradley-Terry
/// loss on the disagreement set (Eq. 2) and a CLS head trained with per-RM binary cross-entropy (Eq. 3),
/// L = L_bt + lambda L_cls, optimised with AdamW for a fixed number of epochs, or, with a validation share of the
/// training groups, keeping the epoch with the lowest validation loss (early stopping). Deterministic for a seed
/// and thread count.
/// </summary>
public sealed class MultiTaskRouterTrainer : IOfflineRouterTrainer
{
    public const string TrainerId = "MultiTaskRouterTrainer (TorchSharp 0.107.0, float64)";

    public OfflineRouter Train(
        IReadOnlyList<PreferencePair> pairs,
        IReadOnlyList<PairEmbedding> embeddings,
        IReadOnlyList<string> pool,
        OfflineTrainingOptions options,
        IProgress<string>? progress = null)
    {
        options.Validate();
        var data = TrainingData.Build(pairs, embeddings, pool, options);
        lock (TorchRuntime.Gate)
        {
            TorchRuntime.Configure(options.Threads, options.Seed);
            return Fit(data, pool, options, progress);
        }
    }

    private static OfflineRouter Fit(TrainingData data, IReadOnlyList<string> pool, OfflineTrainingOptions o, IProgress<string>? progress)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator((ulong)o.Seed);
        using var net = new RouterNetwork(data.InputDimension, o.Dimension, pool.Count, o.Activation, generator);
        using var optimizer = new ExplicitAdamW(net.Parameters(), o.LearningRate, o.WeightDecay);

        var train = data.Tensors(data.TrainRows);
        var validation = data.ValidationRows.Length > 0 ? data.Tensors(data.ValidationRows) : null;
        var order = Enumerable.Range(0, data.TrainRows.Length).ToArray();
        var shuffler = new Random(o.Seed);

        double best = double.PositiveInfinity;
        int bestEpoch = 0, epochsRun = 0, sinceBest = 0;
        double[][] bestWeights = Snapshot(net);
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            shuffler.Shuffle(order);
            double trainLoss = 0;
            for (int start = 0; start < order.Length; start += o.BatchSize)
            {
                using var step = torch.NewDisposeScope();
                int len = Math.Min(o.BatchSize, order.Length - start);
                var idx = torch.tensor(order.AsSpan(start, len).ToArray().Select(i => (long)i).ToArray());
                var h = net.Features(train.X.index_select(0, idx), o.Dropout, training: true);
                var loss = MultiTaskLoss.Total(net.BtScores(h), net.ClsLogits(h),
                    train.Delta.index_select(0, idx), train.Known.index_select(0, idx), o.Lambda);
                optimizer.ZeroGrad();
                loss.backward();
                optimizer.Step();
                trainLoss += loss.item<double>() * len;
            }
            trainLoss /= order.Length;
            epochsRun = epoch;

            // Without a validation share the last epoch is kept (its training loss is still recorded).
            double score = validation is { } v ? Loss(net, v, o.Lambda) : trainLoss;
            if (validation == null || score < best - 1e-12)
            {
                best = score;
                bestEpoch = epoch;
                bestWeights = Snapshot(net);
                sinceBest = 0;
            }
            else sinceBest++;
            var line = string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{o.Epochs}: train loss {trainLoss:F4}");
            if (validation != null) line += string.Create(CultureInfo.InvariantCulture, $", validation loss {score:F4}");
            progress?.Report(line);
            if (validation != null && sinceBest >= o.Patience) break;
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["trainer"] = TrainerId,
            ["train.options"] = o.ToJson(),
            ["train.seed"] = o.Seed.ToString(CultureInfo.InvariantCulture),
            ["train.pairs"] = data.TrainRows.Length.ToString(CultureInfo.InvariantCulture),
            ["train.validation_pairs"] = data.ValidationRows.Length.ToString(CultureInfo.InvariantCulture),
            ["train.disagreement_triples"] = data.DisagreementTriples.ToString(CultureInfo.InvariantCulture),
            ["train.best_epoch"] = bestEpoch.ToString(CultureInfo.InvariantCulture),
            ["train.epochs_run"] = epochsRun.ToString(CultureInfo.InvariantCulture),
            ["train.best_loss"] = best.ToString("R", CultureInfo.InvariantCulture),
            ["train.loss_on"] = validation != null ? "validation" : "train",
        };
        TrainingData.FoldEmbeddingScale(bestWeights[0], o.Dimension, data.InputDimension, data.EncoderDimension, o.EmbeddingScale);
        return new OfflineRouter(pool, o.EncoderId, data.EncoderDimension, o.MaxTokens, data.Domains, o.Activation,
            o.Dimension, bestWeights[0], bestWeights[1], bestWeights[2], bestWeights[3], metadata);
    }

    private static double Loss(RouterNetwork net, LabelledTensors t, double lambda)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var h = net.Features(t.X, 0, training: false);
        return MultiTaskLoss.Total(net.BtScores(h), net.ClsLogits(h), t.Delta, t.Known, lambda).item<double>();
    }

    private static double[][] Snapshot(RouterNetwork net) =>
        [RouterNetwork.ToArray(net.W), RouterNetwork.ToArray(net.B), RouterNetwork.ToArray(net.Ebt), RouterNetwork.ToArray(net.Ecls)];
}
