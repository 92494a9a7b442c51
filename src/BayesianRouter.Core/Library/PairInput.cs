using BayesianRouter.Features;

namespace BayesianRouter;

/// <summary>
/// A preference pair to route: the trainer's prompt and the policy's two responses. <see cref="PairRouter"/> embeds the
/// texts with its encoder (<see cref="PairRouterOptions.Embedder"/>) unless <see cref="Embedding"/> is given.
/// </summary>
/// <param name="Id">Your id for the pair (echoed in the decision).</param>
/// <param name="Prompt">The prompt.</param>
/// <param name="ResponseA">The first response.</param>
/// <param name="ResponseB">The second response.</param>
public sealed record PairInput(string Id, string Prompt, string ResponseA, string ResponseB)
{
    /// <summary>Where the prompt comes from (subject, task); null = none. The router may learn per domain.</summary>
    public string? Domain { get; init; }

    /// <summary>The pairs that share a prompt; null = a hash of <see cref="Prompt"/> (as in a pair file). The router may learn per group.</summary>
    public string? Group { get; init; }

    /// <summary>
    /// The encoder's view of the pair, computed beforehand (e = Enc(prompt + response a), e' = Enc(prompt + response b),
    /// each L2-normalised, with the encoder the router was trained with); null = embed the texts.
    /// </summary>
    public PairEmbedding? Embedding { get; init; }
}
