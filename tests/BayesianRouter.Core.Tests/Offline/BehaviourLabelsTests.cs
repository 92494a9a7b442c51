using BayesianRouter.Offline;
using static BayesianRouter.Core.Tests.Offline.PairFactory;

namespace BayesianRouter.Core.Tests.Offline;

public class BehaviourLabelsTests
{
    [Fact]
    public void LabelsFollowThePapersDeltaAndMarkWhatIsKnown()
    {
        string[] pool = ["r1", "r2", "r3"];
        var pairs = new[]
        {
            Pair("p1", "g1", null, ("r1", 'a'), ("r2", 'b'), ("r3", 't')),
            Pair("p2", "g2", null, ("r1", 'b'), ("r3", 'a')),
            Pair("p3", "g3", null, ("r1", 'a')) with { Preferred = null },
        };
        var labels = BehaviourLabels.Of(pairs, pool);
        Assert.Equal(new double[] { 1, 0, 0, 0, 0, 1, 0, 0, 0 }, labels.Delta);
        Assert.Equal(new double[] { 1, 1, 1, 1, 0, 1, 0, 0, 0 }, labels.Known);
        // p1: r1 right, r2 and r3 wrong: 2 triples; p2: r3 right, r1 wrong: 1 triple (r2 unknown).
        Assert.Equal(3, labels.DisagreementCount());
        Assert.Equal(new[] { 0.5, 0.0, 0.5 }, labels.Accuracy());
    }
}
