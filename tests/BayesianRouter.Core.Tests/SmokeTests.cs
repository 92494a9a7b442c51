namespace BayesianRouter.Core.Tests;

public class SmokeTests
{
    [Fact]
    public void SharedRewardMathIsFound() => Assert.True(Directory.Exists(Path.Combine(TestPaths.RewardMath, "results", "RewardMATH")), TestPaths.RewardMath);
}
