using BayesianRouter.Offline;

namespace BayesianRouter.Core.Tests.Offline;

public class OfflineTrainingOptionsTests
{
    [Fact]
    public void JsonRoundTripsEveryOption()
    {
        var o = new OfflineTrainingOptions
        {
            Dimension = 7, Lambda = 0, Epochs = 3, BatchSize = 5, LearningRate = 0.5, WeightDecay = 0.2, Dropout = 0.3,
            ValidationFraction = 0.25, Patience = 2, UseDomain = true, Seed = 99, Activation = FusionActivation.Relu,
            Threads = 1, EncoderId = "enc", MaxTokens = 128,
        };
        Assert.Equal(o, OfflineTrainingOptions.FromJson(o.ToJson()));
    }

    [Theory]
    [InlineData("dimension")]
    [InlineData("lambda")]
    [InlineData("epochs")]
    [InlineData("dropout")]
    [InlineData("validation fraction")]
    public void ValidateNamesTheBadOption(string name)
    {
        var o = name switch
        {
            "dimension" => new OfflineTrainingOptions { Dimension = 0 },
            "lambda" => new OfflineTrainingOptions { Lambda = -1 },
            "epochs" => new OfflineTrainingOptions { Epochs = 0 },
            "dropout" => new OfflineTrainingOptions { Dropout = 1 },
            _ => new OfflineTrainingOptions { ValidationFraction = 1 },
        };
        Assert.Contains(name, Assert.Throws<ArgumentException>(o.Validate).Message);
        new OfflineTrainingOptions().Validate();
    }
}
