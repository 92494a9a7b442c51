using BayesianRouter.Baselines;
using BayesianRouter.Routing;

namespace BayesianRouter.Experiments.Tests.Routing;

public class LinUcbTests
{
    [Fact]
    public void ReproducesASmallExampleWorkedByHand()
    {
        // d = 2, two arms, lambda = 1, alpha = 0.5. Worked by hand:
        // arm 0 learns (x = (1,0), r = 1): A0 = [[2,0],[0,1]], b0 = (1,0), theta0 = (0.5, 0).
        // Query (1,0): arm 0: 0.5 + 0.5 sqrt(1/2) = 0.853553; arm 1: 0 + 0.5 sqrt(1) = 0.5 -> arm 0.
        // arm 0 learns (x = (1,1), r = 0): A0 = [[3,1],[1,2]], det 5, A0^-1 = [[2,-1],[-1,3]] / 5, theta0 = (2/5, -1/5).
        // Query (0,1): arm 0: -0.2 + 0.5 sqrt(3/5) = 0.187298; arm 1: 0.5 -> arm 1.
        // Query (1,0): arm 0: 0.4 + 0.5 sqrt(2/5) = 0.716228; arm 1: 0.5 -> arm 0.
        var router = new LinUcbRouter(2, 2, new LinUcbOptions { Alpha = 0.5, Regularisation = 1 });
        router.Update([new ArmFeedback([1, 0], 0, 1)]);
        var u = router.UpperConfidenceBounds([[1, 0]])[0];
        Assert.Equal(0.5 + 0.5 * Math.Sqrt(0.5), u[0], 12);
        Assert.Equal(0.5, u[1], 12);
        Assert.Equal(0, router.Select([[1, 0]])[0].Arm);

        router.Update([new ArmFeedback([1, 1], 0, 0)]);
        Assert.Equal(0.4, router.Model(0).Mean[0], 12);
        Assert.Equal(-0.2, router.Model(0).Mean[1], 12);
        var precision = router.Model(0).Precision();
        Assert.Equal([3.0, 1.0, 1.0, 2.0], precision.Select(x => Math.Round(x, 12)));
        u = router.UpperConfidenceBounds([[0, 1], [1, 0]])[0];
        Assert.Equal(-0.2 + 0.5 * Math.Sqrt(0.6), u[0], 12);
        Assert.Equal(0.5, u[1], 12);
        var decisions = router.Select([[0, 1], [1, 0]]);
        Assert.Equal(1, decisions[0].Arm);
        Assert.Equal(0, decisions[1].Arm);
        Assert.All(decisions, d => Assert.Equal(1.0, d.Probability));
        Assert.Equal(0.4 + 0.5 * Math.Sqrt(0.4), router.UpperConfidenceBounds([[1, 0]])[0][0], 12);
    }

    [Fact]
    public void TiesGoToTheLowestArm()
    {
        // Untrained: every arm has the same bound on every context.
        var router = new LinUcbRouter(4, 3);
        Assert.All(router.Select([[1, 2, 3], [0, 0, 1]]), d => Assert.Equal(0, d.Arm));
    }

    [Fact]
    public void LaserRoutesAWholeBatchByItsMeanContext()
    {
        // Hand-worked, d = 2, two arms, alpha = 0.5, lambda = 1. Arm 0's feedback: contexts (1,0) and (0,1), rewards 1 and 0:
        // one observation (mean context m = (0.5, 0.5), mean reward 0.5): A0 = I + m m^T = [[1.25, .25], [.25, 1.25]],
        // b0 = (0.25, 0.25), theta0 = (1/6, 1/6) (A0 m = 1.5 m).
        var laser = new LaserRouter(2, 2, new LinUcbOptions { Alpha = 0.5 });
        laser.Update([new ArmFeedback([1, 0], 0, 1), new ArmFeedback([0, 1], 0, 0)]);
        Assert.Equal(1, laser.Model(0).Observations);
        Assert.Equal(1.0 / 6, laser.Model(0).Mean[0], 12);
        Assert.Equal(1.0 / 6, laser.Model(0).Mean[1], 12);
        Assert.Equal(0, laser.Model(1).Observations);
        // Batch (1,0), (0,1): mean m; arm 0: 1/6 + 0.5 sqrt(m^T A0^-1 m) = 1/6 + 0.5 sqrt(1/3) = 0.455342;
        // arm 1: 0.5 sqrt(m^T m) = 0.5 sqrt(0.5) = 0.353553 -> arm 0 for both pairs.
        var decisions = laser.Select([[1, 0], [0, 1]]);
        Assert.All(decisions, d => Assert.Equal(new RoutingDecision(0, 1.0), d));
        // A batch whose mean points away from arm 0's evidence: (-1, -1), (-1, -1): mean (-1,-1);
        // arm 0: -1/3 + 0.5 sqrt(2 / 1.5) = 0.244017; arm 1: 0.5 sqrt(2) = 0.707107 -> arm 1 for both.
        Assert.All(laser.Select([[-1, -1], [-1, -1]]), d => Assert.Equal(1, d.Arm));
    }

    [Fact]
    public void PerPairLinUcbLearnsEveryPairButLaserOnePerArmPerBatch()
    {
        var feedback = new[] { new ArmFeedback([1, 0], 0, 1), new ArmFeedback([0, 1], 0, 0), new ArmFeedback([1, 1], 1, 1) };
        var linucb = new LinUcbRouter(2, 2);
        var laser = new LaserRouter(2, 2);
        linucb.Update(feedback);
        laser.Update(feedback);
        Assert.Equal(2, linucb.Model(0).Observations);
        Assert.Equal(1, laser.Model(0).Observations);
        Assert.Equal(1, laser.Model(1).Observations);
    }
}
