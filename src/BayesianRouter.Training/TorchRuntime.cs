using TorchSharp;

namespace BayesianRouter.Training;

/// <summary>
/// Process-wide libtorch settings for reproducible training: an explicit thread count and the global seed
/// (dropout draws from it). TorchSharp 0.107 does not implement use_deterministic_algorithms; the CPU kernels
/// used here (dense float64 matmul, index_select and its index_add backward) are deterministic for a fixed
/// thread count, which the training tests check. Torch's global state is shared, so trainers run one at a time.
/// </summary>
internal static class TorchRuntime
{
    /// <summary>Serialises training runs: torch's seed and thread count are process-wide.</summary>
    public static readonly object Gate = new();

    public static void Configure(int threads, int seed)
    {
        if (torch.get_num_threads() != threads) torch.set_num_threads(threads);
        torch.manual_seed(seed);
    }
}
