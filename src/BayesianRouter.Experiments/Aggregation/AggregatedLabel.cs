using BayesianRouter.Data;

namespace BayesianRouter.Aggregation;

/// <summary>
/// An ensemble's label for one pair: the preferred response (A or B), the pair's training weight (1 for majority
/// vote; the consensus rate for UWO), the vote counts, and whether a seeded coin broke a tied vote.
/// </summary>
public readonly record struct AggregatedLabel(Preference Label, double Weight, int VotesA, int VotesB, int Abstentions, bool TieBroken);
