namespace BayesianRouter.Routing;

/// <summary>
/// A router whose input for a pair carries, after the pair features h, the ids of the pair's domain and prompt
/// (group: pairs sharing a prompt): [h; domain id; prompt id]. The router owns the names' ids, so its input is made
/// by <see cref="Context"/>: the hierarchical model's levels, and the baselines that remember per prompt or per domain
/// (win-stay, domain-greedy) read them.
/// </summary>
public interface IKeyedRouter : IRouter
{
    /// <summary>
    /// The input of a pair: [h; domain id; prompt id] (a null name = unknown). New names are interned (they join the
    /// router's saved name table); with <paramref name="intern"/> false they get an id that routes as a name without
    /// statistics and leaves the table alone (a decision-only context, which the router refuses to learn from).
    /// </summary>
    double[] Context(double[] h, string? domain, string? prompt, bool intern = true);
}
