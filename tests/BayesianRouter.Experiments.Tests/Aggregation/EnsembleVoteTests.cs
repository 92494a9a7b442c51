using BayesianRouter.Aggregation;
using BayesianRouter.Data;
using BayesianRouter.State;
using static BayesianRouter.Data.Preference;

namespace BayesianRouter.Experiments.Tests.Aggregation;

public class EnsembleVoteTests
{
    [Fact]
    public void MajorityTakesTheSideWithMoreVotesAndTiesAbstain()
    {
        var vote = new MajorityVote(seed: 1);
        Assert.Equal(new AggregatedLabel(A, 1.0, 2, 1, 0, false), vote.Aggregate([A, A, B]));
        Assert.Equal(new AggregatedLabel(B, 1.0, 1, 2, 2, false), vote.Aggregate([Tie, B, A, Tie, B]));
        Assert.Equal(A, vote.Aggregate([Tie, Tie, A]).Label);
    }

    [Fact]
    public void ATiedVoteIsBrokenByASeededFairCoin()
    {
        var a = new MajorityVote(seed: 5);
        var b = new MajorityVote(seed: 5);
        var labels = Enumerable.Range(0, 4000).Select(_ => a.Aggregate([A, B, Tie, Tie])).ToArray();
        Assert.All(labels, l => Assert.True(l.TieBroken));
        Assert.Equal(labels, Enumerable.Range(0, 4000).Select(_ => b.Aggregate([A, B, Tie, Tie])));
        int heads = labels.Count(l => l.Label == A);
        Assert.InRange(heads, 2000 - 163, 2000 + 163); // about 5 standard deviations (31.6) of a fair coin
        var allAbstain = a.Aggregate([Tie, Tie]);
        Assert.True(allAbstain.TieBroken);
        Assert.NotEqual(Tie, allAbstain.Label);
    }

    [Fact]
    public void UwoWeightsEachPairByTheShareOfRmsAgreeingWithTheMajority()
    {
        var uwo = new UncertaintyWeightedOptimization(seed: 2);
        Assert.Equal(0.5, uwo.Aggregate([A, A, B, Tie]).Weight);
        Assert.Equal(A, uwo.Aggregate([A, A, B, Tie]).Label);
        Assert.Equal(1.0, uwo.Aggregate([B, B, B, B]).Weight);
        Assert.Equal(0.25, uwo.Aggregate([A, Tie, Tie, Tie]).Weight);
        Assert.Equal(0.5, uwo.Aggregate([A, B, A, B]).Weight); // tied vote: the coin's side has half the votes
        Assert.Equal(0.0, uwo.Aggregate([Tie, Tie, Tie]).Weight); // nobody agrees with a coin
    }

    [Fact]
    public void BadVotesAreRejectedAndTheCoinStateIsSaved()
    {
        var vote = new MajorityVote(seed: 3);
        Assert.Throws<ArgumentException>(() => vote.Aggregate([]));
        Assert.Throws<ArgumentException>(() => vote.Aggregate([A, (Preference)7]));
        var copy = new MajorityVote(seed: 99);
        CheckpointFile.Restore(CheckpointFile.ToBytes(vote), copy);
        for (int i = 0; i < 20; i++) Assert.Equal(vote.Aggregate([A, B]), copy.Aggregate([A, B]));
    }
}
