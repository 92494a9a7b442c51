using BayesianRouter.Data;
using BayesianRouter.Features;

namespace BayesianRouter.Offline;

/// <summary>
/// Trains the offline router (paper section 3.2) from pairs with recorded RM behaviour. Implemented with
/// TorchSharp in BayesianRouter.Training; the core only holds the contract and the trained artifact.
/// </summary>
public interface IOfflineRouterTrainer
{
    OfflineRouter Train(
        IReadOnlyList<PreferencePair> pairs,
        IReadOnlyList<PairEmbedding> embeddings,
        IReadOnlyList<string> pool,
        OfflineTrainingOptions options,
        IProgress<string>? progress = null);
}
