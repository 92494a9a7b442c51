using BayesianRouter.Features;
using BayesianRouter.Routing;

namespace BayesianRouter;

/// <summary>Options of a <see cref="PairRouter"/>; every one has a working default.</summary>
public sealed record PairRouterOptions
{
    /// <summary>
    /// Embeds pairs given as texts: the encoder the offline router was trained with (the <c>BayesianRouter.Encoding</c>
    /// package's <c>CachedPairEmbedder.CreateMiniLm()</c> for routers from <c>bayesrouter offline train</c>), or your own
    /// <see cref="IPairEmbedder"/>. Null: every pair must carry <see cref="PairInput.Embedding"/>.
    /// </summary>
    public IPairEmbedder? Embedder { get; init; }

    /// <summary>Seed of every random draw (decisions, choice-probability estimates, exploration): same seed, same decisions.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>
    /// The online model on an offline router: null = the live default (<see cref="Live.RouterSetup.DefaultLiveModel"/>,
    /// the hierarchical model: per-domain and per-prompt corrections in reward units fitted online);
    /// <see cref="Routing.OnlineModel.Paper"/> is the paper's linear model (see docs/online-model.md).
    /// </summary>
    public OnlineModel? OnlineModel { get; init; }

    /// <summary>Exploration floor epsilon in [0, 1): with this probability a pair goes to an RM drawn uniformly (0 = pure Thompson sampling).</summary>
    public double Exploration { get; init; }

    /// <summary>0 (default): exact choice probabilities; M &gt; 0: the Monte-Carlo estimate with M draws per pair (see
    /// <see cref="Live.RoutingSessionOptions.MonteCarloDraws"/>).</summary>
    public int MonteCarloDraws { get; init; }

    /// <summary>
    /// A state file written by <see cref="PairRouter.SaveAsync"/>: when it exists, the router continues from it (what it
    /// learned, its draws, and the decisions still waiting for feedback). It must have been saved by a router made the
    /// same way (same offline router or RM names, same online model).
    /// </summary>
    public string? StateFile { get; init; }
}
